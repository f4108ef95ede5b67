package policy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// StarResourceActions are the only actions allowed on Resource "*", each with its reason.
// Anything else must name exact ARNs (or the stack's name prefix).
var StarResourceActions = map[string]string{
	"xray:PutTraceSegments":    "X-Ray ingestion has no resource-level permissions (Lambda active tracing, OTLP spans)",
	"xray:PutTelemetryRecords": "X-Ray ingestion has no resource-level permissions",
	"xray:PutSpans":            "the X-Ray OTLP endpoint authorizes span ingestion with this action; no resource types",
	"xray:PutSpansForIndexing": "the X-Ray OTLP endpoint (Transaction Search) indexes spans with this action; no resource types",
}

// DeployerStarActions are the CI deploy role's actions on Resource "*": the resources' ARNs
// carry a generated id, not a name the stack's prefix could match, or the action has no
// resource type at all. Where the service supports it the deploy role's statement adds the
// stack-tag condition (infra/stack/deploypolicy.go), so staging's role cannot change prod's.
var DeployerStarActions = map[string]string{}

func init() {
	for why, actions := range map[string][]string{
		"logs: DescribeLogGroups and the log-delivery/resource-policy calls of API Gateway access logging have no resource type": {
			"logs:DescribeLogGroups", "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
			"logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies"},
		"CloudFront distribution ids are generated; the statement holds it to the stack's tag": {
			"cloudfront:CreateDistribution", "cloudfront:CreateDistributionWithTags", "cloudfront:GetDistribution",
			"cloudfront:GetDistributionConfig", "cloudfront:UpdateDistribution", "cloudfront:DeleteDistribution",
			"cloudfront:TagResource", "cloudfront:UntagResource", "cloudfront:ListTagsForResource",
			"cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"},
		"origin access controls and cache, origin-request and response-headers policies have generated ids and no tags; they hold no data and act only through a distribution": {
			"cloudfront:CreateOriginAccessControl", "cloudfront:GetOriginAccessControl", "cloudfront:UpdateOriginAccessControl",
			"cloudfront:DeleteOriginAccessControl", "cloudfront:CreateCachePolicy", "cloudfront:GetCachePolicy",
			"cloudfront:UpdateCachePolicy", "cloudfront:DeleteCachePolicy", "cloudfront:CreateOriginRequestPolicy",
			"cloudfront:GetOriginRequestPolicy", "cloudfront:UpdateOriginRequestPolicy", "cloudfront:DeleteOriginRequestPolicy",
			"cloudfront:CreateResponseHeadersPolicy", "cloudfront:GetResponseHeadersPolicy",
			"cloudfront:UpdateResponseHeadersPolicy", "cloudfront:DeleteResponseHeadersPolicy"},
		"ACM certificate ids are generated; the statement holds it to the stack's tag": {
			"acm:RequestCertificate", "acm:DescribeCertificate", "acm:DeleteCertificate", "acm:ListTagsForCertificate",
			"acm:AddTagsToCertificate", "acm:RemoveTagsFromCertificate"},
		"Route 53 change ids are generated per request (waiting for a record change)": {"route53:GetChange"},
		"KMS key ids are generated; the statement holds it to the stack's tag": {
			"kms:CreateKey", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:GetKeyRotationStatus",
			"kms:EnableKeyRotation", "kms:ScheduleKeyDeletion", "kms:ListResourceTags", "kms:TagResource", "kms:UntagResource"},
	} {
		for _, a := range actions {
			DeployerStarActions[a] = why
			StarResourceActions[a] = "CI deploy role: " + why
		}
	}
}

// statement is an IAM statement with the polymorphic fields normalized.
type statement struct {
	Sid, Effect                   string
	Actions, NotActions           []string
	Resources, NotResources       []string
	Principal                     any
	Condition                     map[string]any
	hasNotAction, hasNotPrincipal bool
}

// parsePolicy parses a policy document (JSON string or an already-decoded map).
func parsePolicy(v any) ([]statement, error) {
	var doc map[string]any
	switch v := v.(type) {
	case string:
		if err := json.Unmarshal([]byte(v), &doc); err != nil {
			return nil, fmt.Errorf("policy is not JSON: %w", err)
		}
	case map[string]any:
		doc = v
	default:
		return nil, nil // unknown during preview
	}
	raw := doc["Statement"]
	if m, ok := raw.(map[string]any); ok {
		raw = []any{m}
	}
	var out []statement
	for _, e := range list(raw) {
		m, _ := e.(map[string]any)
		if m == nil {
			continue
		}
		st := statement{
			Sid: fmt.Sprint(m["Sid"]), Effect: fmt.Sprint(m["Effect"]),
			Actions: strs(m["Action"]), NotActions: strs(m["NotAction"]),
			Resources: strs(m["Resource"]), NotResources: strs(m["NotResource"]),
			Principal: m["Principal"],
		}
		st.Condition, _ = m["Condition"].(map[string]any)
		_, st.hasNotAction = m["NotAction"]
		_, st.hasNotPrincipal = m["NotPrincipal"]
		if _, ok := m["NotResource"]; ok && len(st.NotResources) == 0 {
			st.NotResources = []string{"?"}
		}
		out = append(out, st)
	}
	return out, nil
}

// identityPolicies are the permission documents of a resource (attached to a principal).
func identityPolicies(r Resource) []any {
	switch r.Type {
	case TypeRolePolicy, TypeIAMPolicy:
		return []any{r.Props["policy"]}
	case TypeRole:
		var out []any
		for _, p := range list(r.Props["inlinePolicies"]) {
			if m, ok := p.(map[string]any); ok {
				out = append(out, m["policy"])
			}
		}
		return out
	}
	return nil
}

// resourcePolicies are the resource-based documents (they name principals).
func resourcePolicies(r Resource) []any {
	switch r.Type {
	case TypeBucketPolicy, TypeTopicPolicy, TypeSecretPolicy:
		return []any{r.Props["policy"]}
	case TypeRole:
		return []any{r.Props["assumeRolePolicy"]}
	case TypeSecret, "aws:kms/key:Key":
		if p, ok := r.Props["policy"]; ok && p != "" {
			return []any{p}
		}
	}
	return nil
}

func checkIAM(r Resource) []string {
	var out []string
	for _, doc := range identityPolicies(r) {
		sts, err := parsePolicy(doc)
		if err != nil {
			out = append(out, err.Error())
			continue
		}
		for _, st := range sts {
			out = append(out, checkIdentityStatement(st)...)
		}
	}
	for _, doc := range resourcePolicies(r) {
		sts, err := parsePolicy(doc)
		if err != nil {
			out = append(out, err.Error())
			continue
		}
		for _, st := range sts {
			out = append(out, checkResourceStatement(r, st)...)
		}
	}
	return out
}

func checkIdentityStatement(st statement) []string {
	if st.Effect != "Allow" {
		return nil
	}
	where := "statement"
	if st.Sid != "" && st.Sid != "<nil>" {
		where = "statement " + st.Sid
	}
	var out []string
	if st.hasNotAction || len(st.NotResources) > 0 {
		out = append(out, where+": Allow with NotAction/NotResource grants everything else")
	}
	for _, a := range st.Actions {
		if strings.Contains(a, "*") {
			out = append(out, fmt.Sprintf("%s: wildcard action %q (name the exact actions)", where, a))
		}
	}
	for _, res := range st.Resources {
		if res == "*" {
			for _, a := range st.Actions {
				if _, ok := StarResourceActions[a]; !ok {
					out = append(out, fmt.Sprintf("%s: action %q on resource \"*\" is not in the justified allow-list", where, a))
				}
			}
			continue
		}
		if msg := checkARN(res); msg != "" {
			out = append(out, fmt.Sprintf("%s: resource %q: %s", where, res, msg))
		}
	}
	return out
}

// checkARN accepts an exact ARN whose only wildcard is a trailing "*" after a named prefix:
// objects under a key prefix (bucket/sessions/*), the streams of one log group (group:*), the
// stack's own roles (role/twin-staging-*) and buckets (twin-staging-*). Wildcards in service, region, account or in the
// middle of the resource are rejected.
func checkARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return "not an ARN"
	}
	for i, what := range map[int]string{1: "partition", 2: "service", 3: "region", 4: "account"} {
		if strings.Contains(parts[i], "*") {
			return "wildcard " + what
		}
	}
	res := parts[5]
	n := strings.Count(res, "*")
	switch {
	case n == 0:
		return ""
	case n > 1 || !strings.HasSuffix(res, "*"):
		return "wildcard inside the resource"
	}
	// Split "type/name..." or "type:name..." (for S3, "bucket/key..."): a wildcard right after
	// the first separator spans every resource of the type (every object of the bucket).
	// Without a separator the resource is a bare name (S3 bucket, SNS topic): "twin-prod-*" is
	// a name prefix (the stack's buckets and their objects), "*" every bucket.
	base := strings.TrimSuffix(res, "*")
	i := strings.IndexAny(base, "/:")
	if base == "" || i >= 0 && i == len(base)-1 {
		return "wildcard over a whole resource type or bucket"
	}
	return ""
}

func checkResourceStatement(r Resource, st statement) []string {
	if st.Effect != "Allow" {
		return nil
	}
	var out []string
	if st.hasNotPrincipal {
		out = append(out, "Allow with NotPrincipal")
	}
	if isPublicPrincipal(st.Principal) && !hasRestrictingCondition(st.Condition) {
		out = append(out, fmt.Sprintf("statement %s allows principal * (public)", st.Sid))
	}
	if r.Type == TypeRole {
		for _, a := range st.Actions {
			if a == "sts:AssumeRoleWithWebIdentity" {
				out = append(out, checkWebIdentityTrust(st)...)
			}
		}
	}
	for _, a := range st.Actions {
		if a == "*" || strings.HasSuffix(a, ":*") {
			out = append(out, fmt.Sprintf("statement %s allows wildcard action %q", st.Sid, a))
		}
	}
	return out
}

func isPublicPrincipal(p any) bool {
	if s, ok := p.(string); ok {
		return s == "*"
	}
	m, _ := p.(map[string]any)
	return slices.Contains(strs(m["AWS"]), "*")
}

func hasRestrictingCondition(c map[string]any) bool {
	for _, op := range c {
		m, _ := op.(map[string]any)
		for k := range m {
			switch strings.ToLower(k) {
			case "aws:sourcearn", "aws:sourceaccount", "aws:principalaccount", "aws:principalorgid", "aws:sourcevpce":
				return true
			}
		}
	}
	return false
}

// checkWebIdentityTrust requires GitHub OIDC trust to pin audience and an exact subject.
func checkWebIdentityTrust(st statement) []string {
	eq, _ := st.Condition["StringEquals"].(map[string]any)
	var sub, aud []string
	for k, v := range eq {
		switch {
		case strings.HasSuffix(k, ":sub"):
			sub = strs(v)
		case strings.HasSuffix(k, ":aud"):
			aud = strs(v)
		}
	}
	var out []string
	if len(aud) == 0 {
		out = append(out, "web identity trust does not pin the audience (:aud StringEquals)")
	}
	if len(sub) == 0 {
		out = append(out, "web identity trust does not pin the subject with StringEquals (repo and environment)")
	}
	for _, s := range sub {
		if strings.Contains(s, "*") || !strings.Contains(s, ":environment:") {
			out = append(out, fmt.Sprintf("web identity subject %q must be an exact repo:OWNER/REPO:environment:NAME", s))
		}
	}
	return out
}

// awsManagedPolicy matches the ARNs of AWS managed policies (PowerUserAccess,
// AdministratorAccess, ReadOnlyAccess, ...): they grant whole services on every resource of the
// account, so no role of the stack may carry one; the stack's own policies are customer managed.
func awsManagedPolicy(arn string) bool {
	parts := strings.SplitN(arn, ":", 6)
	return len(parts) == 6 && parts[0] == "arn" && parts[2] == "iam" && parts[4] == "aws" && strings.HasPrefix(parts[5], "policy/")
}

func checkManagedPolicies(r Resource) []string {
	var arns []string
	switch r.Type {
	case TypeAttachment:
		arns = strs(r.Props["policyArn"])
	case TypeRole:
		arns = strs(r.Props["managedPolicyArns"])
		if b := str(r.Props, "permissionsBoundary"); b != "" {
			arns = append(arns, b)
		}
	default:
		return nil
	}
	var out []string
	for _, a := range arns {
		if awsManagedPolicy(a) {
			out = append(out, fmt.Sprintf("AWS managed policy %s grants whole services on every resource: use the stack's own least-privilege policies", a))
		}
	}
	return out
}
