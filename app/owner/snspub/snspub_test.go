package snspub

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// TestPublishSpeaksSNSQuery runs the real SDK against a server speaking SNS's query protocol.
func TestPublishSpeaksSNSQuery(t *testing.T) {
	var got map[string]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
			t.Errorf("unsigned request: %v", r.Header)
		}
		got = map[string]string{"Action": r.Form.Get("Action"), "TopicArn": r.Form.Get("TopicArn"), "Subject": r.Form.Get("Subject"), "Message": r.Form.Get("Message")}
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write([]byte(`<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>`))
	}))
	defer srv.Close()
	client := sns.New(sns.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
	})
	arn := "arn:aws:sns:eu-west-1:123456789012:twin-alarms"
	if err := New(client, arn).Publish(context.Background(), "Your digital twin: 1 new contact request\nöö", "New contact request\n  email: a@example.com"); err != nil {
		t.Fatal(err)
	}
	if got["Action"] != "Publish" || got["TopicArn"] != arn || got["Subject"] != "Your digital twin: 1 new contact request" || !strings.Contains(got["Message"], "a@example.com") {
		t.Fatalf("request %v", got)
	}
}

func TestSubject(t *testing.T) {
	if got := Subject(strings.Repeat("x", 300)); len(got) >= 100 {
		t.Fatalf("subject of %d chars", len(got))
	}
	if got := Subject("\n\n"); got != "Your digital twin" {
		t.Fatalf("empty subject → %q", got)
	}
}
