package secrets_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/digitaltwin/twin/app/secrets"
	"github.com/digitaltwin/twin/app/twintest/fakeaws"
)

const secretID = "twin/llm-api-key"

func newSource(t *testing.T, value string) (*fakeaws.SecretsManager, *secrets.Source, *time.Time) {
	t.Helper()
	sm := fakeaws.NewSecretsManager(t, secretID, value)
	client := secretsmanager.NewFromConfig(fakeaws.Config(t), func(o *secretsmanager.Options) {
		o.BaseEndpoint = aws.String(sm.URL)
	})
	now := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)
	src := secrets.New(client, secretID)
	src.Now = func() time.Time { return now }
	return sm, src, &now
}

func TestKeyCachedThenRefreshed(t *testing.T) {
	ctx := context.Background()
	sm, src, now := newSource(t, "sk-one")
	for range 3 {
		if k, err := src.Key(ctx); err != nil || k != "sk-one" {
			t.Fatalf("Key = %q, %v", k, err)
		}
	}
	if got := sm.Calls(); got != 1 {
		t.Fatalf("%d GetSecretValue calls, want 1 (cached)", got)
	}
	sm.Set("sk-two") // rotated
	if k, _ := src.Key(ctx); k != "sk-one" {
		t.Fatalf("Key before TTL = %q, want the cached sk-one", k)
	}
	if k, err := src.Refresh(ctx); err != nil || k != "sk-two" {
		t.Fatalf("Refresh = %q, %v", k, err)
	}
	sm.Set("sk-three")
	*now = now.Add(secrets.DefaultTTL)
	if k, _ := src.Key(ctx); k != "sk-three" {
		t.Fatalf("Key after TTL = %q, want sk-three", k)
	}
}

func TestJSONSecret(t *testing.T) {
	_, src, _ := newSource(t, `{"api_key":"sk-json","note":"x"}`)
	if k, err := src.Key(context.Background()); err != nil || k != "sk-json" {
		t.Fatalf("Key = %q, %v", k, err)
	}
}

func TestUnreadableIsClear(t *testing.T) {
	for name, tc := range map[string]struct {
		value string
		deny  bool
		want  string
	}{
		"denied": {value: "sk", deny: true, want: "AccessDeniedException"},
		"empty":  {value: "  ", want: "empty"},
		"json":   {value: `{"other":"x"}`, want: "api_key"},
	} {
		t.Run(name, func(t *testing.T) {
			sm, src, _ := newSource(t, tc.value)
			if tc.deny {
				sm.FailNext(1)
			}
			_, err := src.Key(context.Background())
			if err == nil || !strings.Contains(err.Error(), "LLM_API_KEY_SECRET_ID") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Key error = %v, want one naming LLM_API_KEY_SECRET_ID and %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "sk") && tc.value == "sk" {
				t.Fatalf("error leaks the key: %v", err)
			}
		})
	}
}

func TestStatic(t *testing.T) {
	k := secrets.Static("sk-local")
	if got, _ := k.Refresh(context.Background()); got != "sk-local" {
		t.Fatal(got)
	}
	if k.String() == "sk-local" {
		t.Fatal("String leaks the key")
	}
}

func TestOutageKeepsCachedKey(t *testing.T) {
	ctx := context.Background()
	sm, src, now := newSource(t, "sk-one")
	if k, err := src.Key(ctx); err != nil || k != "sk-one" {
		t.Fatalf("Key = %q, %v", k, err)
	}
	*now = now.Add(secrets.DefaultTTL)
	sm.FailNext(100)
	before := sm.Calls()
	for range 5 {
		if k, err := src.Key(ctx); err != nil || k != "sk-one" {
			t.Fatalf("Key during an outage = %q, %v; want the cached key", k, err)
		}
	}
	if got := sm.Calls() - before; got > 4 { // one Key call's SDK attempts, then a minute's rest
		t.Errorf("%d Secrets Manager calls for 5 Keys during an outage, want one re-read", got)
	}
	if _, err := src.Refresh(ctx); err == nil {
		t.Error("Refresh during an outage succeeded")
	}
}
