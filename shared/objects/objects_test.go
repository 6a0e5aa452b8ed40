package objects_test

import (
	"testing"
	"time"

	"rentroll.ai/rentroll/shared/objects"
)

func TestEffectiveTTL(t *testing.T) {
	tests := []struct {
		ttl, want time.Duration
	}{
		{0, objects.MaxSignedURLTTL},
		{-time.Second, objects.MaxSignedURLTTL},
		{time.Minute, time.Minute},
		{objects.MaxSignedURLTTL, objects.MaxSignedURLTTL},
		{objects.MaxSignedURLTTL + time.Second, objects.MaxSignedURLTTL},
		{7 * 24 * time.Hour, objects.MaxSignedURLTTL},
	}
	for _, tt := range tests {
		if got := (objects.PutPolicy{TTL: tt.ttl}).EffectiveTTL(); got != tt.want {
			t.Errorf("EffectiveTTL(%v) = %v, want %v", tt.ttl, got, tt.want)
		}
	}
}
