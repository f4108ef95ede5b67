package secrets

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// minOriginSecret is the shortest origin secret accepted: a guessable value would let anyone
// past the origin check.
const minOriginSecret = 32

// OriginValues reads the origin secret (ORIGIN_SECRET_ID): the JSON object
// {"current": "...", "previous": "..."} the stack writes, where "previous" is set only while a
// rotation is under way (docs/deploy.md, "Rotating the origin secret"). It returns the values
// the twin accepts. It is read once per cold start: a rotation changes the functions'
// configuration, so every instance starts again with the new values.
func OriginValues(ctx context.Context, client API, id string) ([]string, error) {
	out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &id})
	if err != nil {
		return nil, fmt.Errorf("read the origin secret %q (ORIGIN_SECRET_ID): %w", id, err)
	}
	var v struct {
		Current  string `json:"current"`
		Previous string `json:"previous"`
	}
	raw := ""
	if out.SecretString != nil {
		raw = *out.SecretString
	}
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return nil, fmt.Errorf("origin secret %q (ORIGIN_SECRET_ID): not a JSON object {\"current\", \"previous\"}", id)
	}
	values := []string{strings.TrimSpace(v.Current)}
	if p := strings.TrimSpace(v.Previous); p != "" {
		values = append(values, p)
	}
	for _, s := range values {
		if len(s) < minOriginSecret {
			return nil, fmt.Errorf("origin secret %q (ORIGIN_SECRET_ID): each value needs at least %d characters", id, minOriginSecret)
		}
	}
	return values, nil
}
