package tenancytest_test

import (
	"testing"

	"rentroll.ai/rentroll/shared/tenancy/tenancytest"
)

func TestIdentityFakeKeepsTheContract(t *testing.T) {
	tenancytest.IdentityContract(t, tenancytest.NewIdentity())
}
