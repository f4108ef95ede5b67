package s3blobs

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/digitaltwin/twin/app/owner"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// TestAgainstFakeS3 runs the real SDK against gofakes3 in process.
func TestAgainstFakeS3(t *testing.T) {
	backend := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	if err := backend.CreateBucket("memory"); err != nil {
		t.Fatal(err)
	}
	client := s3.New(s3.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
	})
	b := New(client, "memory")
	ctx := context.Background()
	for _, k := range []string{"leads/s1/a.json", "leads/s1/b.json", "questions/s1/a.json"} {
		if err := b.Put(ctx, k, []byte(`{"k":"`+k+`"}`)); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := b.List(ctx, owner.PrefixLeads)
	if err != nil || len(keys) != 2 || keys[0] != "leads/s1/a.json" {
		t.Fatalf("List = %v, %v", keys, err)
	}
	data, version, err := b.Get(ctx, "questions/s1/a.json")
	if err != nil || string(data) != `{"k":"questions/s1/a.json"}` || version == "" {
		t.Fatalf("Get = %q, %q, %v", data, version, err)
	}
	// Conditional writes: If-Match on the version read, If-None-Match for a new key.
	if err := b.PutIf(ctx, "questions/s1/a.json", []byte(`{}`), version); err != nil {
		t.Fatalf("PutIf(current version) = %v", err)
	}
	if err := b.PutIf(ctx, "questions/s1/a.json", []byte(`{"lost":1}`), version); !errors.Is(err, owner.ErrConflict) {
		t.Fatalf("PutIf(stale version) = %v, want ErrConflict", err)
	}
	if err := b.PutIf(ctx, "questions/s1/a.json", []byte(`{"lost":1}`), ""); !errors.Is(err, owner.ErrConflict) {
		t.Fatalf("PutIf(create over existing) = %v, want ErrConflict", err)
	}
	if err := b.PutIf(ctx, "owner/new.json", []byte(`{}`), ""); err != nil {
		t.Fatalf("PutIf(create) = %v", err)
	}
	if _, _, err := b.Get(ctx, "leads/none.json"); !errors.Is(err, owner.ErrNoBlob) {
		t.Fatalf("Get(missing) = %v, want ErrNoBlob", err)
	}
}
