package uploadstest

import (
	"testing"

	"rentroll.ai/rentroll/shared/uploads"
)

func TestMemoryContract(t *testing.T) {
	Contract(t, func(*testing.T) uploads.Store { return NewMemory() })
}
