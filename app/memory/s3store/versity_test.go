package s3store_test

import (
	"context"
	"testing"

	"github.com/digitaltwin/twin/app/memory/s3store"
	"github.com/digitaltwin/twin/app/memory/storetest"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest/fakeaws"
)

// TestVersity runs the store contract against versitygw, a real S3 gateway: SigV4 is checked,
// conditional writes are real, the object is a file on disk.
func TestVersity(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	client := fakeaws.StartVersity(t, bucket)
	n := 0
	storetest.Run(t, func(t *testing.T) twin.Store {
		n++ // every sub-test gets its own prefix, so they do not see each other's sessions
		return s3store.New(client, bucket, prefix+string(rune('a'+n))+"/")
	})

	t.Run("SigV4Checked", func(t *testing.T) {
		bad := s3store.New(fakeaws.WrongSecretClient(t, client), bucket, prefix)
		_, err := bad.Get(context.Background(), sid)
		if err == nil || twin.ErrorCode(err) == twin.CodeSessionNotFound {
			t.Fatalf("Get with a wrong secret = %v, want a signature error", err)
		}
		t.Logf("wrong secret: %v", err)
	})
}
