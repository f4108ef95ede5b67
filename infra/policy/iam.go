package policy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// StarResourceActions are the only actions allowed on Resource "*", each with its reason.
// Anything else must name exact ARNs.
var StarResourceActions = map[string]string{
	"xray:PutTraceSegments":    "X-Ray ingestion has no resource-level permissions (Lambda active tracing, OTLP spans)",
	"xray:PutTelemetryRecords": "X-Ray ingestion has no resource-level permissions",
	"xray:PutSpans":            "the X-Ray OTLP endpoint authorizes span ingestion with this action; no resource types",
	"xray:PutSpansForIndexing": "the X-Ray OTLP endpoint (Transaction Search) indexes spans with this action; no resource types",
}

// ManagedPolicies are the AWS managed policies that may be attached, with the reason.
var ManagedPolicies = map[string]string{
	"arn:aws:iam::aws:policy/PowerUserAccess": "CI deploy role only: a deployer creates every kind of resource of the " +
		"stack, which no exact-ARN policy can name in advance; it excludes IAM, which the stack grants back " +
		"only on its own roles, and the role is reachable only by GitHub OIDC from one repository and environment",
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
// stack's own roles (role/twin-staging-*). Wildcards in service, region, account or in the
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
	base := strings.TrimSuffix(res, "*")
	i := strings.IndexAny(base, "/:")
	if i < 0 || i == len(base)-1 {
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

func checkManagedPolicies(r Resource) []string {
	var arns []string
	switch r.Type {
	case TypeAttachment:
		arns = strs(r.Props["policyArn"])
	case TypeRole:
		arns = strs(r.Props["managedPolicyArns"])
	default:
		return nil
	}
	var out []string
	for _, a := range arns {
		if _, ok := ManagedPolicies[a]; !ok {
			out = append(out, fmt.Sprintf("managed policy %s is not in the allow-list", a))
		}
	}
	return out
}
