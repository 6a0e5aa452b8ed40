package billingtest

import (
	"testing"

	"rentroll.ai/rentroll/shared/billing"
)

func TestMemoryContract(t *testing.T) {
	Contract(t, func(*testing.T) billing.RunStore { return NewMemory() })
}

func TestSettingsContract(t *testing.T) {
	SettingsContract(t, func(*testing.T) billing.Settings { return NewSettings() })
}
