package s3store_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/digitaltwin/twin/app/memory/s3store"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest/fakeaws"
)

// newVersioned is newFake on a bucket with versioning enabled through the S3 API.
func newVersioned(t *testing.T) (*fakeaws.S3, *s3.Client, *s3store.Store) {
	t.Helper()
	srv, client, st := newFake(t)
	if _, err := client.PutBucketVersioning(context.Background(), &s3.PutBucketVersioningInput{
		Bucket:                  aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
	}); err != nil {
		t.Fatal(err)
	}
	return srv, client, st
}

// versionsOf lists every version and delete marker stored under key.
func versionsOf(t *testing.T, client *s3.Client, key string) []string {
	t.Helper()
	out, err := client.ListObjectVersions(context.Background(), &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range out.Versions {
		got = append(got, "version "+aws.ToString(v.VersionId))
	}
	for _, m := range out.DeleteMarkers {
		got = append(got, "marker "+aws.ToString(m.VersionId))
	}
	return got
}

// TestDeleteRemovesEveryVersion: in the versioned memory bucket every turn leaves a version; a
// plain DELETE would only hide them behind a marker. Delete leaves nothing under the key and
// touches no other session.
func TestDeleteRemovesEveryVersion(t *testing.T) {
	ctx := context.Background()
	_, client, st := newVersioned(t)
	other := "9b9f3c1e-7d2a-4e5b-9c8d-1a2b3c4d5e6f"
	for _, id := range []string{sid, other} {
		base := twin.Session{ID: id}
		for i := range 3 {
			next, err := st.Append(ctx, base, turn(i), 100)
			if err != nil {
				t.Fatal(err)
			}
			base = next
		}
	}
	if got := versionsOf(t, client, st.Key(sid)); len(got) != 3 {
		t.Fatalf("before Delete: %v, want 3 versions", got)
	}
	if err := st.Delete(ctx, sid); err != nil {
		t.Fatal(err)
	}
	if got := versionsOf(t, client, st.Key(sid)); len(got) != 0 {
		t.Fatalf("after Delete: %v still stored", got)
	}
	if got := versionsOf(t, client, st.Key(other)); len(got) != 3 {
		t.Fatalf("the other session: %v, want its 3 versions", got)
	}
}

// TestDeleteRemovesLeftoversOfAnEarlierDelete: versions hidden behind a delete marker (a delete
// made outside the app) are removed too, and the answer is still "not found".
func TestDeleteRemovesLeftoversOfAnEarlierDelete(t *testing.T) {
	ctx := context.Background()
	_, client, st := newVersioned(t)
	if _, err := st.Append(ctx, twin.Session{ID: sid}, turn(1), 100); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(st.Key(sid))}); err != nil {
		t.Fatal(err)
	}
	if got := versionsOf(t, client, st.Key(sid)); len(got) != 2 {
		t.Fatalf("after a plain DELETE: %v, want a version and a marker", got)
	}
	if err := st.Delete(ctx, sid); twin.ErrorCode(err) != twin.CodeSessionNotFound {
		t.Fatalf("Delete = %v, want session_not_found", err)
	}
	if got := versionsOf(t, client, st.Key(sid)); len(got) != 0 {
		t.Fatalf("leftovers: %v", got)
	}
}

// deleteResult is a fault that answers the next DeleteObjects (a POST) with a 200 DeleteResult
// holding inner, without letting it reach the fake.
func deleteResult(inner string) fakeaws.Fault {
	return func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPost {
			return false
		}
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">%s</DeleteResult>`, inner)
		return true
	}
}

// TestDeleteFailsUnlessTheDataIsGone: a server that answers DeleteObjects with success but keeps
// the data, or reports a per-version error (AccessDenied without s3:DeleteObjectVersion), must not
// make Delete report a deletion.
func TestDeleteFailsUnlessTheDataIsGone(t *testing.T) {
	for name, inner := range map[string]string{
		"success, data kept": "",
		"per-version error": `<Error><Key>sessions/` + sid + `.json</Key><VersionId>v1</VersionId>` +
			`<Code>AccessDenied</Code><Message>Access Denied</Message></Error>`,
	} {
		ctx := context.Background()
		srv, client, st := newVersioned(t)
		if _, err := st.Append(ctx, twin.Session{ID: sid}, turn(1), 100); err != nil {
			t.Fatal(err)
		}
		srv.Inject(deleteResult(inner))
		err := st.Delete(ctx, sid)
		if err == nil || twin.ErrorCode(err) != twin.CodeInternal {
			t.Errorf("%s: Delete = %v, want an internal error", name, err)
		}
		if inner != "" && !strings.Contains(fmt.Sprint(err), "AccessDenied") {
			t.Errorf("%s: error %v does not name the S3 error", name, err)
		}
		if got := versionsOf(t, client, st.Key(sid)); len(got) != 1 {
			t.Errorf("%s: stored %v, want the one version", name, got)
		}
	}
}

// TestUpdateAnswered404IsAConflict: S3 answers an If-Match PUT of an object deleted since it was
// read with 404 NoSuchKey. That is a lost race, not a failure: the store re-reads and carries on.
func TestUpdateAnswered404IsAConflict(t *testing.T) {
	ctx := context.Background()
	srv, _, st := newVersioned(t)
	base, err := st.Append(ctx, twin.Session{ID: sid}, turn(0), 100)
	if err != nil {
		t.Fatal(err)
	}
	srv.Inject(fakeaws.Error(http.MethodPut, http.StatusNotFound, "NoSuchKey"))
	got, err := st.Append(ctx, base, turn(1), 100)
	if err != nil {
		t.Fatalf("Append after a 404 on If-Match: %v", err)
	}
	if len(got.Messages) != 4 {
		t.Fatalf("stored %d messages, want 4", len(got.Messages))
	}
}
