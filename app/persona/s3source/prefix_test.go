package s3source_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/digitaltwin/twin/app/awsclient"
	"github.com/digitaltwin/twin/app/persona/pdftext/pdftest"
	"github.com/digitaltwin/twin/app/persona/s3source"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest/fakeaws"
)

func putKey(t *testing.T, c *s3.Client, key string, body []byte) {
	t.Helper()
	if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
}

// TestPrefix: a PERSONA_KEY ending in "/" reads every persona object under it in key order, like
// a folder; after the TTL one LIST finds what changed and only that is fetched again; an outage
// keeps the last good copy.
func TestPrefix(t *testing.T) {
	srv := fakeaws.NewS3(t, bucket)
	c := srv.Client(t)
	clk := &clock{t: time.Date(2026, 12, 4, 6, 0, 0, 0, time.UTC)}
	src := s3source.NewPrefix(c, bucket, "persona/", nil)
	src.Now = clk.now
	putKey(t, c, "persona/me.txt", []byte("I am Maya."))
	putKey(t, c, "persona/hobbies.md", []byte("I play the cello."))
	putKey(t, c, "persona/linkedin.pdf", pdftest.Write(pdftest.Profile(), pdftest.Options{Compress: true}))
	putKey(t, c, "persona/persona.yaml", []byte("name: Maya Lindqvist\nstarters: [Tell me about Tessel]\n"))
	putKey(t, c, "persona/.hidden.txt", []byte("SECRET"))
	putKey(t, c, "persona/photo.jpg", []byte("JPEG"))
	putKey(t, c, "other/me.txt", []byte("NOT MINE"))
	srv.ResetCounts()

	p, err := src.Persona(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "Maya Lindqvist" || p.Starters[0] != "Tell me about Tessel" {
		t.Errorf("visible fields %q %v", p.Name, p.Starters)
	}
	for i, want := range []string{"## Hobbies", "I play the cello.", "## Linkedin", "Lead the team that built Granite", "I am Maya."} {
		if !strings.Contains(p.Text, want) {
			t.Fatalf("%d: %q missing from:\n%s", i, want, p.Text)
		}
	}
	for _, no := range []string{"SECRET", "JPEG", "NOT MINE"} {
		if strings.Contains(p.Text, no) {
			t.Errorf("persona holds %q", no)
		}
	}
	if got := srv.Count(http.MethodGet); got != 1+4 {
		t.Errorf("first load: %d GETs, want 1 LIST + 4 objects", got)
	}

	// Within the TTL: nothing is asked. After it, one LIST and one GET for the changed object.
	srv.ResetCounts()
	putKey(t, c, "persona/hobbies.md", []byte("I climb."))
	clk.t = clk.t.Add(30 * time.Second)
	if _, err := src.Persona(context.Background()); err != nil || srv.Count(http.MethodGet) != 0 {
		t.Fatalf("within the TTL: %v, %d GETs", err, srv.Count(http.MethodGet))
	}
	clk.t = clk.t.Add(time.Minute)
	p, err = src.Persona(context.Background())
	if err != nil || !strings.Contains(p.Text, "I climb.") || strings.Contains(p.Text, "cello") {
		t.Fatalf("after an edit: %v\n%s", err, p.Text)
	}
	if got := srv.Count(http.MethodGet); got != 2 {
		t.Errorf("revalidation: %d GETs, want 1 LIST + 1 changed object", got)
	}

	// An outage: the listing fails, then an object cannot be read; the last good copy stays.
	clk.t = clk.t.Add(2 * time.Minute)
	srv.Inject(fakeaws.Times(awsclient.DefaultMaxAttempts, fakeaws.Error(http.MethodGet, http.StatusInternalServerError, "InternalError"))...)
	if p2, err := src.Persona(context.Background()); err != nil || p2.Text != p.Text {
		t.Fatalf("LIST outage: %v", err)
	}
	srv.Clear()
	putKey(t, c, "persona/me.txt", []byte("I am Maya, edited."))
	clk.t = clk.t.Add(2 * time.Minute)
	meFails := fakeaws.Error(http.MethodGet, http.StatusInternalServerError, "InternalError")
	srv.Inject(fakeaws.Times(awsclient.DefaultMaxAttempts, func(w http.ResponseWriter, r *http.Request) bool {
		return strings.HasSuffix(r.URL.Path, "/persona/me.txt") && meFails(w, r)
	})...)
	if p2, err := src.Persona(context.Background()); err != nil || !strings.Contains(p2.Text, "I am Maya.") {
		t.Fatalf("GET outage of one object: %v; want its last good copy in\n%s", err, p2.Text)
	}
	srv.Clear()
	clk.t = clk.t.Add(2 * time.Minute)
	if p3, err := src.Persona(context.Background()); err != nil || !strings.Contains(p3.Text, "I am Maya, edited.") {
		t.Fatalf("after the outage: %v", err)
	}
}

// TestPrefixUnavailable: an empty prefix, or one whose objects are all unusable, is
// persona_unavailable.
func TestPrefixUnavailable(t *testing.T) {
	srv := fakeaws.NewS3(t, bucket)
	c := srv.Client(t)
	src := s3source.NewPrefix(c, bucket, "persona/", nil)
	if _, err := src.Persona(context.Background()); twin.ErrorCode(err) != twin.CodePersonaUnavailable {
		t.Fatalf("empty prefix: %v", err)
	}
	putKey(t, c, "persona/locked.pdf", pdftest.Write(pdftest.Profile(), pdftest.Options{Encrypt: true}))
	putKey(t, c, "persona/empty.txt", []byte(" "))
	if _, err := src.Persona(context.Background()); twin.ErrorCode(err) != twin.CodePersonaUnavailable {
		t.Fatalf("only unusable objects: %v", err)
	}
}
