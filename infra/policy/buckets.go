package policy

import (
	"fmt"
	"slices"
	"strings"
)

var publicACLs = []string{"public-read", "public-read-write", "authenticated-read"}

func checkBucketPublic(r Resource) []string {
	switch r.Type {
	case TypeBucketPAB:
		var out []string
		for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
			v, present := r.Props[k]
			if present && v == nil {
				continue // unknown until applied
			}
			if b, _ := v.(bool); !b {
				out = append(out, k+" is not true")
			}
		}
		return out
	case TypeBucket, TypeBucketLegacy, TypeBucketObject:
		if acl := str(r.Props, "acl"); slices.Contains(publicACLs, acl) {
			return []string{"acl " + acl + " is public"}
		}
	case TypeBucketACL:
		if acl := str(r.Props, "acl"); slices.Contains(publicACLs, acl) {
			return []string{"acl " + acl + " is public"}
		}
		for _, g := range list(get(r.Props, "accessControlPolicy", "grants")) {
			if uri := str(g.(map[string]any), "grantee", "uri"); strings.Contains(uri, "AllUsers") || strings.Contains(uri, "AuthenticatedUsers") {
				return []string{"grant to " + uri + " is public"}
			}
		}
	}
	return nil
}

// buckets maps each bucket's name (its "bucket" property) to the resource.
func buckets(rs []Resource) map[string]Resource {
	out := map[string]Resource{}
	for _, r := range rs {
		if r.Type == TypeBucket || r.Type == TypeBucketLegacy {
			if name := str(r.Props, "bucket"); name != "" {
				out[name] = r
			}
		}
	}
	return out
}

// forEachBucket reports the buckets for which no resource of typ that refers to them (by
// "bucket") satisfies ok.
func forEachBucket(rs []Resource, typ string, ok func(Resource) bool, msg string) []Violation {
	covered := map[string]bool{}
	for _, r := range has(rs, typ) {
		if ok(r) {
			covered[str(r.Props, "bucket")] = true
		}
	}
	var out []Violation
	for name, b := range buckets(rs) {
		if !covered[name] {
			out = append(out, Violation{Resource: id(b), Message: fmt.Sprintf("bucket %s %s", name, msg)})
		}
	}
	return out
}

func stackBucketPAB(rs []Resource) []Violation {
	return forEachBucket(rs, TypeBucketPAB, func(r Resource) bool { return len(checkBucketPublic(r)) == 0 },
		"has no public access block with all four settings true")
}

func stackBucketSSE(rs []Resource) []Violation {
	var out []Violation
	inline := map[string]bool{}
	for _, b := range buckets(rs) {
		if len(list(b.Props["serverSideEncryptionConfigurations"])) > 0 || get(b.Props, "serverSideEncryptionConfiguration") != nil {
			inline[str(b.Props, "bucket")] = true
		}
	}
	for _, v := range forEachBucket(rs, TypeBucketSSE, func(r Resource) bool {
		for _, rule := range list(r.Props["rules"]) {
			alg := str(rule.(map[string]any), "applyServerSideEncryptionByDefault", "sseAlgorithm")
			if alg == "AES256" || strings.HasPrefix(alg, "aws:kms") {
				return true
			}
		}
		return false
	}, "has no default encryption (SSE-S3 or SSE-KMS)") {
		if !inline[strings.Fields(v.Message)[1]] {
			out = append(out, v)
		}
	}
	return out
}

func stackBucketTLS(rs []Resource) []Violation {
	return forEachBucket(rs, TypeBucketPolicy, func(r Resource) bool {
		sts, err := parsePolicy(r.Props["policy"])
		if err != nil {
			return false
		}
		for _, st := range sts {
			if st.Effect != "Deny" {
				continue
			}
			b, _ := st.Condition["Bool"].(map[string]any)
			if fmt.Sprint(b["aws:SecureTransport"]) == "false" && (slices.Contains(st.Actions, "s3:*") || slices.Contains(st.Actions, "*")) {
				return true
			}
		}
		return false
	}, "has no bucket policy denying aws:SecureTransport=false")
}
