// Package policy is the stack's policy as code: plain Go checks over the resources a Pulumi
// program declares (type token, name, properties as plain Go values). The same checks run in
// `go test` over every resource of both stacks under mocks (infra/stack) and inside the policy
// pack (infra/policypack) that `pulumi preview --policy-pack` loads.
//
// Unknown values (nil, as during a preview before ARNs exist) are skipped, not failed: the
// engine runs the pack again on `pulumi up`, when inputs are known.
package policy

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Resource is one resource as the checks see it.
type Resource struct {
	Type  string         // e.g. "aws:lambda/function:Function"
	Name  string         // logical name
	Props map[string]any // inputs (or state), plain Go values; nil for unknown
}

// Violation is one failed check.
type Violation struct {
	Policy   string
	Resource string // "type::name", or "" for a stack-wide finding
	Message  string
}

func (v Violation) String() string {
	if v.Resource == "" {
		return v.Policy + ": " + v.Message
	}
	return v.Policy + ": " + v.Resource + ": " + v.Message
}

// Policy is one named check, per resource, over the whole stack, or both.
type Policy struct {
	Name        string
	Description string
	Resource    func(r Resource) []string
	Stack       func(rs []Resource) []Violation
}

// Resource type tokens the checks know.
const (
	TypeBucket       = "aws:s3/bucketV2:BucketV2"
	TypeBucketLegacy = "aws:s3/bucket:Bucket"
	TypeBucketPolicy = "aws:s3/bucketPolicy:BucketPolicy"
	TypeBucketPAB    = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	TypeBucketSSE    = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	TypeBucketACL    = "aws:s3/bucketAclV2:BucketAclV2"
	TypeBucketObject = "aws:s3/bucketObjectv2:BucketObjectv2"
	TypeFunction     = "aws:lambda/function:Function"
	TypeFunctionURL  = "aws:lambda/functionUrl:FunctionUrl"
	TypePermission   = "aws:lambda/permission:Permission"
	TypeDistribution = "aws:cloudfront/distribution:Distribution"
	TypeRole         = "aws:iam/role:Role"
	TypeRolePolicy   = "aws:iam/rolePolicy:RolePolicy"
	TypeIAMPolicy    = "aws:iam/policy:Policy"
	TypeAttachment   = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	TypeLogGroup     = "aws:cloudwatch/logGroup:LogGroup"
	TypeMetricAlarm  = "aws:cloudwatch/metricAlarm:MetricAlarm"
	TypeAPIDomain    = "aws:apigatewayv2/domainName:DomainName"
	TypeSecret       = "aws:secretsmanager/secret:Secret"
	TypeTopicPolicy  = "aws:sns/topicPolicy:TopicPolicy"
	TypeSecretPolicy = "aws:secretsmanager/secretPolicy:SecretPolicy"
)

// Policies returns every check, in a stable order.
func Policies() []Policy {
	return []Policy{
		{Name: "iam-least-privilege", Description: "IAM policies name exact actions and ARNs: no wildcard action, no '*' resource outside the justified allow-list, no NotAction/NotResource, no public principals",
			Resource: checkIAM},
		{Name: "iam-managed-policies", Description: "No AWS managed policy (PowerUserAccess, AdministratorAccess, ...) on any role", Resource: checkManagedPolicies},
		{Name: "iam-permissions-boundary", Description: "Creating or changing roles is allowed only with the stack's permissions boundary, and every role such a deployer manages carries it",
			Resource: checkBoundaryCondition, Stack: stackBoundaries},
		{Name: "https-only", Description: "CloudFront viewers and origins use HTTPS only", Resource: checkHTTPS},
		{Name: "tls-minimum-1-2", Description: "Viewer and API TLS is at least 1.2 (CloudFront TLSv1.2_2021 or newer; API TLS_1_2)", Resource: checkTLS},
		{Name: "bucket-not-public", Description: "Buckets block all public access and grant no public ACLs", Resource: checkBucketPublic, Stack: stackBucketPAB},
		{Name: "bucket-encrypted", Description: "Every bucket has default server-side encryption", Stack: stackBucketSSE},
		{Name: "bucket-tls-only", Description: "Every bucket policy denies requests without TLS", Stack: stackBucketTLS},
		{Name: "function-url-auth", Description: "Function URLs require AWS_IAM auth; no public invoke permissions", Resource: checkFunctionURL},
		{Name: "no-secrets-in-env", Description: "Lambda environments hold no secret-looking values (keys live in Secrets Manager)", Resource: checkEnvSecrets},
		{Name: "log-retention", Description: "Log groups have a retention and every function logs to one", Resource: checkRetention, Stack: stackFunctionLogs},
		{Name: "lambda-cost-cap", Description: "Functions have reserved concurrency (the cost cap) and a bounded timeout", Resource: checkCostCap},
		{Name: "alarms-exist", Description: "Alarms exist, notify a topic, and cover every function", Stack: stackAlarms},
	}
}

// Check runs every policy over the resources and returns the violations, sorted.
func Check(rs []Resource) []Violation {
	var out []Violation
	for _, p := range Policies() {
		out = append(out, p.Run(rs)...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// Run runs one policy over the resources.
func (p Policy) Run(rs []Resource) []Violation {
	var out []Violation
	if p.Resource != nil {
		for _, r := range rs {
			for _, msg := range p.Resource(r) {
				out = append(out, Violation{Policy: p.Name, Resource: r.Type + "::" + r.Name, Message: msg})
			}
		}
	}
	if p.Stack != nil {
		for _, v := range p.Stack(rs) {
			v.Policy = p.Name
			out = append(out, v)
		}
	}
	return out
}

// ---- property helpers ----

func get(m map[string]any, path ...string) any {
	var v any = m
	for _, k := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

func str(m map[string]any, path ...string) string {
	s, _ := get(m, path...).(string)
	return s
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

// strs reads a string or a list of strings (IAM's Action, Resource, ...).
func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return v
	}
	return nil
}

func boolean(m map[string]any, key string) (val, known bool) {
	b, ok := m[key].(bool)
	return b, ok
}

func number(m map[string]any, key string) (float64, bool) {
	switch n := m[key].(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	}
	return 0, false
}

func has(rs []Resource, typ string) []Resource {
	var out []Resource
	for _, r := range rs {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

func id(r Resource) string { return r.Type + "::" + r.Name }

// ---- CloudFront / TLS ----

var viewerTLS = []string{"TLSv1.2_2018", "TLSv1.2_2019", "TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"}

func checkHTTPS(r Resource) []string {
	if r.Type != TypeDistribution {
		return nil
	}
	var out []string
	behaviours := []any{get(r.Props, "defaultCacheBehavior")}
	behaviours = append(behaviours, list(get(r.Props, "orderedCacheBehaviors"))...)
	for _, b := range behaviours {
		bm, _ := b.(map[string]any)
		if bm == nil {
			continue
		}
		p := str(bm, "viewerProtocolPolicy")
		if p != "" && p != "redirect-to-https" && p != "https-only" {
			out = append(out, fmt.Sprintf("behaviour %q: viewerProtocolPolicy %q lets viewers use HTTP", str(bm, "pathPattern"), p))
		}
	}
	for _, o := range list(get(r.Props, "origins")) {
		om, _ := o.(map[string]any)
		co, _ := om["customOriginConfig"].(map[string]any)
		if co == nil {
			continue
		}
		if p := str(co, "originProtocolPolicy"); p != "" && p != "https-only" {
			out = append(out, fmt.Sprintf("origin %q: originProtocolPolicy %q is not https-only", str(om, "originId"), p))
		}
		for _, proto := range strs(co["originSslProtocols"]) {
			if proto != "TLSv1.2" {
				out = append(out, fmt.Sprintf("origin %q allows %s", str(om, "originId"), proto))
			}
		}
	}
	return out
}

func checkTLS(r Resource) []string {
	switch r.Type {
	case TypeDistribution:
		vc, _ := r.Props["viewerCertificate"].(map[string]any)
		if vc == nil {
			return []string{"no viewerCertificate"}
		}
		if def, _ := boolean(vc, "cloudfrontDefaultCertificate"); def {
			return []string{"the default *.cloudfront.net certificate allows TLS 1.0: use a custom domain and certificate"}
		}
		if v := str(vc, "minimumProtocolVersion"); !slices.Contains(viewerTLS, v) {
			return []string{fmt.Sprintf("minimumProtocolVersion %q is below TLSv1.2_2021-class", v)}
		}
	case TypeAPIDomain:
		if v := str(r.Props, "domainNameConfiguration", "securityPolicy"); v != "" && v != "TLS_1_2" {
			return []string{fmt.Sprintf("securityPolicy %q is below TLS_1_2", v)}
		}
	}
	return nil
}

// ---- Lambda ----

func checkFunctionURL(r Resource) []string {
	switch r.Type {
	case TypeFunctionURL:
		if a := str(r.Props, "authorizationType"); a != "AWS_IAM" {
			return []string{fmt.Sprintf("authorizationType %q: function URLs must require AWS_IAM (CloudFront OAC signs)", a)}
		}
	case TypePermission:
		var out []string
		if str(r.Props, "functionUrlAuthType") == "NONE" {
			out = append(out, "functionUrlAuthType NONE makes the function URL public")
		}
		if p := str(r.Props, "principal"); p == "*" {
			out = append(out, "principal * lets anyone invoke the function")
		} else if _, known := r.Props["sourceArn"]; strings.HasSuffix(p, ".amazonaws.com") && !known {
			out = append(out, fmt.Sprintf("service principal %s without sourceArn: any account's %s could invoke", p, p))
		}
		return out
	}
	return nil
}

func checkCostCap(r Resource) []string {
	if r.Type != TypeFunction {
		return nil
	}
	var out []string
	if n, ok := number(r.Props, "reservedConcurrentExecutions"); !ok || n < 1 {
		out = append(out, "reservedConcurrentExecutions is not set: concurrency (and model spend) is uncapped")
	}
	if n, ok := number(r.Props, "timeout"); ok && n > 900 {
		out = append(out, fmt.Sprintf("timeout %v s exceeds 900", n))
	}
	return out
}

func checkRetention(r Resource) []string {
	if r.Type != TypeLogGroup {
		return nil
	}
	if n, ok := number(r.Props, "retentionInDays"); !ok || n <= 0 {
		return []string{"retentionInDays is not set: logs would be kept (and billed) forever"}
	}
	return nil
}

func stackFunctionLogs(rs []Resource) []Violation {
	groups := map[string]bool{}
	for _, g := range has(rs, TypeLogGroup) {
		if n, ok := number(g.Props, "retentionInDays"); ok && n > 0 {
			groups[str(g.Props, "name")] = true
		}
	}
	var out []Violation
	for _, f := range has(rs, TypeFunction) {
		group := str(f.Props, "loggingConfig", "logGroup")
		if group == "" {
			if name := str(f.Props, "name"); name != "" {
				group = "/aws/lambda/" + name
			}
		}
		if group != "" && !groups[group] {
			out = append(out, Violation{Resource: id(f), Message: fmt.Sprintf("logs to %q, which is not a declared log group with retention", group)})
		}
	}
	return out
}

// ---- Alarms ----

func stackAlarms(rs []Resource) []Violation {
	alarms := has(rs, TypeMetricAlarm)
	if len(has(rs, TypeFunction)) == 0 {
		return nil
	}
	if len(alarms) == 0 {
		return []Violation{{Message: "the stack has Lambda functions but no metric alarms"}}
	}
	var out []Violation
	watched := map[string]bool{}
	for _, a := range alarms {
		if len(strs(a.Props["alarmActions"])) == 0 {
			out = append(out, Violation{Resource: id(a), Message: "alarm notifies no one (alarmActions is empty)"})
		}
		if d := get(a.Props, "dimensions", "FunctionName"); d != nil {
			watched[fmt.Sprint(d)] = true
		}
		for _, q := range list(a.Props["metricQueries"]) {
			if fn := get(q.(map[string]any), "metric", "dimensions", "FunctionName"); fn != nil {
				watched[fmt.Sprint(fn)] = true
			}
		}
	}
	for _, f := range has(rs, TypeFunction) {
		if name := str(f.Props, "name"); name != "" && !watched[name] {
			out = append(out, Violation{Resource: id(f), Message: "no alarm watches this function"})
		}
	}
	return out
}
