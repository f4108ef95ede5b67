package owner

import (
	"context"
	"crypto/subtle"
	"strings"

	"github.com/digitaltwin/twin/app/twin"
)

// TokenSource returns the current owner token (from Secrets Manager outside local).
type TokenSource interface {
	Key(ctx context.Context) (string, error)
}

// Access decides who may open the owner view: anyone on a local twin, else only a request
// carrying `Authorization: Bearer <owner token>`. With no token configured outside local the
// view is closed.
type Access struct {
	Local bool
	Token TokenSource // nil outside local: closed
}

// ErrForbidden is the cause of a refused owner request.
var ErrForbidden = &twin.Error{Code: twin.CodeNotFound, Message: "no such API endpoint"}

// Check returns nil when authorization (the request's Authorization header) opens the owner
// view. Refusals look like an unknown endpoint, so the view's existence is not advertised.
func (a Access) Check(ctx context.Context, authorization string) error {
	if a.Local {
		return nil
	}
	if a.Token == nil {
		return ErrForbidden
	}
	given, ok := strings.CutPrefix(authorization, "Bearer ")
	if !ok || given == "" {
		return ErrForbidden
	}
	want, err := a.Token.Key(ctx)
	if err != nil || want == "" {
		return ErrForbidden
	}
	if subtle.ConstantTimeCompare([]byte(given), []byte(want)) != 1 {
		return ErrForbidden
	}
	return nil
}
