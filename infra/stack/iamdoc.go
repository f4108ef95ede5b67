package stack

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// PolicyDocument is an IAM policy built as a typed Go value and marshalled once, so resource
// ARNs are spliced in as data (never string templates) and the policy checks can parse it back.
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one IAM policy statement. Principal is used by trust and resource policies.
type Statement struct {
	Sid       string                    `json:"Sid,omitempty"`
	Effect    string                    `json:"Effect"`
	Principal map[string]any            `json:"Principal,omitempty"`
	Action    []string                  `json:"Action"`
	Resource  []string                  `json:"Resource,omitempty"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// Allow and Deny build statements.
func Allow(sid string, actions []string, resources ...string) Statement {
	return Statement{Sid: sid, Effect: "Allow", Action: actions, Resource: resources}
}

// Policy returns a 2012-10-17 document of the statements.
func Policy(statements ...Statement) PolicyDocument {
	return PolicyDocument{Version: "2012-10-17", Statement: statements}
}

// JSON marshals the document.
func (d PolicyDocument) JSON() (string, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("marshal policy: %w", err)
	}
	return string(b), nil
}

// policyJSON resolves the given outputs, builds the document with build and returns its JSON as
// a pulumi.StringOutput: the usual way to turn resource ARNs into a policy input.
func policyJSON(build func(vals []any) (PolicyDocument, error), outs ...any) pulumi.StringOutput {
	return pulumi.All(outs...).ApplyT(func(vals []any) (string, error) {
		d, err := build(vals)
		if err != nil {
			return "", err
		}
		return d.JSON()
	}).(pulumi.StringOutput)
}

// denyInsecureTransport is the statement every bucket policy carries: TLS-only access.
func denyInsecureTransport(bucketArn string) Statement {
	return Statement{
		Sid:       "DenyInsecureTransport",
		Effect:    "Deny",
		Principal: map[string]any{"AWS": "*"},
		Action:    []string{"s3:*"},
		Resource:  []string{bucketArn, bucketArn + "/*"},
		Condition: map[string]map[string]any{"Bool": {"aws:SecureTransport": "false"}},
	}
}
