package s3source_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/digitaltwin/twin/app/awsclient"
	"github.com/digitaltwin/twin/app/persona/s3source"
	"github.com/digitaltwin/twin/app/twin"
	"github.com/digitaltwin/twin/app/twintest/fakeaws"
)

const bucket, key = "persona", "me.txt"

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func put(t *testing.T, c *s3.Client, body string) {
	t.Helper()
	_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
}

func setup(t *testing.T) (*fakeaws.S3, *s3.Client, *s3source.Source, *clock) {
	srv := fakeaws.NewS3(t, bucket)
	c := srv.Client(t)
	clk := &clock{t: time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)}
	src := s3source.New(c, bucket, key, nil)
	src.TTL = time.Minute
	src.Now = clk.now
	return srv, c, src, clk
}

func mustPersona(t *testing.T, src *s3source.Source) twin.Persona {
	t.Helper()
	p, err := src.Persona(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCacheAndRevalidate(t *testing.T) {
	srv, c, src, clk := setup(t)
	put(t, c, "---\nname: Ada\n---\nI build compilers.")
	srv.ResetCounts()

	if p := mustPersona(t, src); p.Name != "Ada" || p.Text != "I build compilers." {
		t.Fatalf("persona = %+v", p)
	}
	clk.t = clk.t.Add(30 * time.Second)
	mustPersona(t, src)
	if got := srv.Count(http.MethodGet); got != 1 {
		t.Fatalf("%d GETs within the TTL, want 1", got)
	}

	clk.t = clk.t.Add(time.Minute) // expired, unchanged → 304
	if p := mustPersona(t, src); p.Name != "Ada" {
		t.Fatalf("after 304: %+v", p)
	}
	if got := srv.Count(http.MethodGet); got != 2 {
		t.Fatalf("%d GETs after the TTL, want 2", got)
	}

	put(t, c, "---\nname: Grace\n---\nI write COBOL.")
	if p := mustPersona(t, src); p.Name != "Ada" {
		t.Fatalf("reloaded before the TTL: %+v", p)
	}
	clk.t = clk.t.Add(2 * time.Minute)
	if p := mustPersona(t, src); p.Name != "Grace" || p.Text != "I write COBOL." {
		t.Fatalf("after an edit and the TTL: %+v", p)
	}
}

func TestOutageServesCachedCopy(t *testing.T) {
	srv, c, src, clk := setup(t)
	put(t, c, "I am Ada.")
	mustPersona(t, src)
	clk.t = clk.t.Add(2 * time.Minute)
	srv.Inject(fakeaws.Times(awsclient.DefaultMaxAttempts, fakeaws.Error(http.MethodGet, http.StatusInternalServerError, "InternalError"))...)
	if p := mustPersona(t, src); p.Text != "I am Ada." {
		t.Fatalf("during an outage: %+v", p)
	}
	put(t, c, "") // a broken edit keeps the last good persona too
	clk.t = clk.t.Add(2 * time.Minute)
	if p := mustPersona(t, src); p.Text != "I am Ada." {
		t.Fatalf("after an empty upload: %+v", p)
	}
}

func TestUnavailable(t *testing.T) {
	for name, body := range map[string]*string{"missing": nil, "empty": aws.String("  \n"), "not utf-8": aws.String("\xff\xfe")} {
		t.Run(name, func(t *testing.T) {
			_, c, src, _ := setup(t)
			if body != nil {
				put(t, c, *body)
			}
			_, err := src.Persona(context.Background())
			if got, want := twin.ErrorCode(err), twin.CodePersonaUnavailable; got != want {
				t.Fatalf("code = %s (%v), want %s", got, err, want)
			}
		})
	}
}

func TestVersity(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	c := fakeaws.StartVersity(t, bucket)
	put(t, c, "---\nname: Ada\n---\nI build compilers.")
	clk := &clock{t: time.Now()}
	src := s3source.New(c, bucket, key, nil)
	src.Now = clk.now
	if p := mustPersona(t, src); p.Name != "Ada" {
		t.Fatalf("persona = %+v", p)
	}
	clk.t = clk.t.Add(time.Hour) // revalidation: versitygw answers 304
	if p := mustPersona(t, src); p.Name != "Ada" {
		t.Fatalf("after revalidation: %+v", p)
	}
}
