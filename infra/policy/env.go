package policy

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
)

var (
	// secretName: variable names that suggest a secret value.
	secretName = regexp.MustCompile(`(?i)(secret|passw|token|api_?key|private_?key|credential|access_?key)`)
	// idSuffix: names that hold a reference to a secret, not the secret (LLM_API_KEY_SECRET_ID).
	idSuffix = regexp.MustCompile(`(?i)_(ID|ARN|NAME)$`)
	// secretValue: well-known credential shapes.
	secretValue = []*regexp.Regexp{
		regexp.MustCompile(`^sk-[A-Za-z0-9_-]{16,}`),               // OpenAI and compatible
		regexp.MustCompile(`^sk-ant-[A-Za-z0-9_-]{16,}`),           // Anthropic
		regexp.MustCompile(`(^|[^A-Z0-9])(AKIA|ASIA)[0-9A-Z]{16}`), // AWS access key id
		regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`),
		regexp.MustCompile(`^(ghp|gho|ghs|github_pat)_[A-Za-z0-9_]{20,}`),
		regexp.MustCompile(`^xox[abpr]-[A-Za-z0-9-]{10,}`),
		regexp.MustCompile(`^AIza[0-9A-Za-z_-]{35}$`), // Google API key
	}
	opaque = regexp.MustCompile(`^[A-Za-z0-9+/=_-]{32,}$`)
)

func checkEnvSecrets(r Resource) []string {
	if r.Type != TypeFunction {
		return nil
	}
	vars, _ := get(r.Props, "environment", "variables").(map[string]any)
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []string
	for _, name := range names {
		val, ok := vars[name].(string)
		if !ok || val == "" {
			continue
		}
		if why := secretLooking(name, val); why != "" {
			out = append(out, fmt.Sprintf("environment %s %s: keep secrets in Secrets Manager and pass the id", name, why))
		}
	}
	return out
}

// secretLooking says why a variable looks like it carries a secret, or "".
func secretLooking(name, val string) string {
	for _, re := range secretValue {
		if re.MatchString(val) {
			return "holds a credential-shaped value"
		}
	}
	isRef := strings.HasPrefix(val, "arn:") || strings.HasPrefix(val, "https://") || strings.HasPrefix(val, "http://")
	if secretName.MatchString(name) && !idSuffix.MatchString(name) && !isRef {
		return "is named like a secret and holds a value"
	}
	if !isRef && opaque.MatchString(val) && entropy(val) > 4.0 {
		return "holds a long random-looking value"
	}
	return ""
}

// entropy is the Shannon entropy of s in bits per character.
func entropy(s string) float64 {
	counts := map[rune]float64{}
	for _, r := range s {
		counts[r]++
	}
	var h float64
	n := float64(len([]rune(s)))
	for _, c := range counts {
		p := c / n
		h -= p * math.Log2(p)
	}
	return h
}
