package owner

import (
	"context"
	"testing"
)

type staticToken string

func (s staticToken) Key(context.Context) (string, error) { return string(s), nil }

func TestAccess(t *testing.T) {
	ctx := context.Background()
	for name, tc := range map[string]struct {
		a      Access
		header string
		ok     bool
	}{
		"local":        {Access{Local: true}, "", true},
		"no token set": {Access{}, "Bearer x", false},
		"right token":  {Access{Token: staticToken("s3cret")}, "Bearer s3cret", true},
		"wrong token":  {Access{Token: staticToken("s3cret")}, "Bearer s3cre", false},
		"no header":    {Access{Token: staticToken("s3cret")}, "", false},
		"basic auth":   {Access{Token: staticToken("s3cret")}, "Basic s3cret", false},
		"empty secret": {Access{Token: staticToken("")}, "Bearer ", false},
	} {
		if err := tc.a.Check(ctx, tc.header); (err == nil) != tc.ok {
			t.Errorf("%s: Check = %v, want ok=%v", name, err, tc.ok)
		}
	}
}
