// Package snspub publishes owner notifications to the stack's SNS topic (its email subscription
// reaches the owner). Nothing is ever sent to a visitor's address.
package snspub

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/digitaltwin/twin/app/owner"
)

// Publisher is an owner.Publisher for one topic.
type Publisher struct {
	client   *sns.Client
	topicARN string
}

var _ owner.Publisher = (*Publisher)(nil)

// New returns a publisher to topicARN.
func New(client *sns.Client, topicARN string) *Publisher {
	return &Publisher{client: client, topicARN: topicARN}
}

// maxMessageBytes keeps a batch well under SNS's 256 KiB limit.
const maxMessageBytes = 200 << 10

// Publish sends one message.
func (p *Publisher) Publish(ctx context.Context, subject, message string) error {
	if len(message) > maxMessageBytes {
		message = message[:maxMessageBytes] + "\n…(truncated)"
	}
	_, err := p.client.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(p.topicARN),
		Subject:  aws.String(Subject(subject)),
		Message:  aws.String(message),
	})
	if err != nil {
		return fmt.Errorf("publish to %s: %w", p.topicARN, err)
	}
	return nil
}

// Subject makes s a valid SNS email subject: printable ASCII, no newlines, under 100 characters.
func Subject(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		case r == '\n' || r == '\t':
			b.WriteByte(' ')
		}
		if b.Len() >= 99 {
			break
		}
	}
	out := strings.TrimSpace(b.String())
	if out == "" {
		return "Your digital twin"
	}
	return out
}
