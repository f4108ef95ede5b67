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
		a        Access
		header   string
		loopback bool
		want     error
	}{
		"local, this machine":          {Access{Local: true}, "", true, nil},
		"local, another machine":       {Access{Local: true}, "", false, ErrNotThisMachine},
		"local, token from elsewhere":  {Access{Local: true, Token: staticToken("s3cret")}, "Bearer s3cret", false, nil},
		"local, wrong token elsewhere": {Access{Local: true, Token: staticToken("s3cret")}, "Bearer nope", false, ErrNotThisMachine},
		"no token set":                 {Access{}, "Bearer x", false, ErrForbidden},
		"cloud ignores loopback":       {Access{}, "", true, ErrForbidden},
		"right token":                  {Access{Token: staticToken("s3cret")}, "Bearer s3cret", false, nil},
		"wrong token":                  {Access{Token: staticToken("s3cret")}, "Bearer s3cre", false, ErrForbidden},
		"no header":                    {Access{Token: staticToken("s3cret")}, "", false, ErrForbidden},
		"basic auth":                   {Access{Token: staticToken("s3cret")}, "Basic s3cret", false, ErrForbidden},
		"empty secret":                 {Access{Token: staticToken("")}, "Bearer ", false, ErrForbidden},
	} {
		if err := tc.a.Check(ctx, tc.header, tc.loopback); err != tc.want {
			t.Errorf("%s: Check = %v, want %v", name, err, tc.want)
		}
	}
}
