package policy

import (
	"fmt"
	"slices"
	"strings"
)

// RoleWritingActions create a role or change what it may do. A principal allowed any of them
// without a permissions boundary can make itself an administrator (create a role with
// AdministratorAccess and pass it, or write such a policy onto a role it can assume); AWS
// evaluates the iam:PermissionsBoundary condition key for exactly these.
var RoleWritingActions = []string{
	"iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy",
	"iam:DetachRolePolicy", "iam:PutRolePermissionsBoundary",
}

// requiredBoundary returns the boundary an Allow statement requires of the roles it may write
// (StringEquals iam:PermissionsBoundary), and whether the statement writes roles at all.
func requiredBoundary(st statement) (boundary string, writes bool) {
	if st.Effect != "Allow" {
		return "", false
	}
	for _, a := range st.Actions {
		if slices.Contains(RoleWritingActions, a) || a == "iam:*" || a == "*" {
			writes = true
		}
	}
	if !writes {
		return "", false
	}
	eq, _ := st.Condition["StringEquals"].(map[string]any)
	for k, v := range eq {
		if strings.EqualFold(k, "iam:PermissionsBoundary") {
			if b := strs(v); len(b) == 1 {
				return b[0], true
			}
		}
	}
	return "", true
}

// checkBoundaryCondition fails a statement that may create or change roles without requiring
// one exact permissions boundary.
func checkBoundaryCondition(r Resource) []string {
	var out []string
	for _, doc := range identityPolicies(r) {
		sts, _ := parsePolicy(doc)
		for _, st := range sts {
			if b, writes := requiredBoundary(st); writes && b == "" {
				out = append(out, fmt.Sprintf("statement %s may create or change roles without a required permissions boundary (StringEquals iam:PermissionsBoundary)", st.Sid))
			}
		}
	}
	return out
}

// stackBoundaries: when some policy of the stack may write roles within a boundary, every
// role of the stack must carry that boundary (the deployer could not manage it otherwise, and
// an unbounded role is what the boundary exists to prevent), except the deployer itself: the
// role only GitHub's OIDC tokens can assume, which an administrator creates and which its own
// policy forbids it to change.
func stackBoundaries(rs []Resource) []Violation {
	boundaries := map[string]bool{}
	for _, r := range rs {
		for _, doc := range identityPolicies(r) {
			sts, _ := parsePolicy(doc)
			for _, st := range sts {
				if b, writes := requiredBoundary(st); writes && b != "" {
					boundaries[b] = true
				}
			}
		}
	}
	if len(boundaries) == 0 {
		return nil
	}
	var out []Violation
	for _, role := range has(rs, TypeRole) {
		if webIdentityOnly(role) {
			continue
		}
		b, known := role.Props["permissionsBoundary"]
		if _, isStr := b.(string); known && b != nil && !isStr {
			continue // unknown during preview
		}
		if s, _ := b.(string); !boundaries[s] {
			out = append(out, Violation{Resource: id(role), Message: fmt.Sprintf("role lacks the permissions boundary the deployer is held to (%v)", keys(boundaries))})
		}
	}
	return out
}

// webIdentityOnly tells a role that only OIDC web identities may assume (the CI deployer).
func webIdentityOnly(role Resource) bool {
	sts, _ := parsePolicy(role.Props["assumeRolePolicy"])
	if len(sts) == 0 {
		return false
	}
	for _, st := range sts {
		if st.Effect == "Allow" && !slices.Equal(st.Actions, []string{"sts:AssumeRoleWithWebIdentity"}) {
			return false
		}
	}
	return true
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
