package firestore

import (
	"testing"

	"rentroll.ai/rentroll/shared/firestoreemu"
	"rentroll.ai/rentroll/shared/uploads"
	"rentroll.ai/rentroll/shared/uploads/uploadstest"
)

// TestUploadStoreContract runs the uploads.Store contract on the emulator,
// each subtest on a project of its own: the same rules the in-memory store
// that ingestion's unit tests use is held to.
func TestUploadStoreContract(t *testing.T) {
	uploadstest.Contract(t, func(t *testing.T) uploads.Store {
		return NewUploads(firestoreemu.ClientForTest(t, firestoreemu.NewProjectID(t)))
	})
}
