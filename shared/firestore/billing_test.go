package firestore

import (
	"testing"

	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/billing/billingtest"
	"rentroll.ai/rentroll/shared/firestoreemu"
)

// TestRunStoreContract runs the billing run store contract on the emulator,
// each subtest on a project of its own.
func TestRunStoreContract(t *testing.T) {
	billingtest.Contract(t, func(t *testing.T) billing.RunStore {
		return NewRunStore(firestoreemu.ClientForTest(t, firestoreemu.NewProjectID(t)))
	})
}

// TestSettingsContract runs the billing settings contract on the emulator,
// each subtest on a project of its own, with its two databases.
func TestSettingsContract(t *testing.T) {
	billingtest.SettingsContract(t, func(t *testing.T) billing.Settings {
		project := firestoreemu.NewProjectID(t)
		return NewSettings(firestoreemu.DatabaseClientForTest(t, project, testRegistryDB), firestoreemu.ClientForTest(t, project))
	})
}
