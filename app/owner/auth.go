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

// Access decides who may open the owner view: a request carrying `Authorization: Bearer <owner
// token>`, or, on a local twin, a request from this machine only (a loopback connection that
// names a loopback host, so neither a LAN peer nor a web page using DNS rebinding gets in). With
// no token configured outside local the view is closed.
type Access struct {
	Local bool
	Token TokenSource // nil: no token opens the view
}

// ErrForbidden is the cause of a refused owner request outside local: it looks like an unknown
// endpoint, so the view's existence is not advertised.
var ErrForbidden = &twin.Error{Code: twin.CodeNotFound, Message: "no such API endpoint"}

// ErrNotThisMachine is the cause of a refused owner request on a local twin.
var ErrNotThisMachine = &twin.Error{Code: twin.CodeForbidden,
	Message: "the owner view of a local twin answers only on this machine, at http://localhost or http://127.0.0.1"}

// Check returns nil when authorization (the request's Authorization header) opens the owner
// view, or when the twin is local and loopback says the request came from this machine.
func (a Access) Check(ctx context.Context, authorization string, loopback bool) error {
	if a.tokenOpens(ctx, authorization) {
		return nil
	}
	switch {
	case a.Local && loopback:
		return nil
	case a.Local:
		return ErrNotThisMachine
	default:
		return ErrForbidden
	}
}

func (a Access) tokenOpens(ctx context.Context, authorization string) bool {
	if a.Token == nil {
		return false
	}
	given, ok := strings.CutPrefix(authorization, "Bearer ")
	if !ok || given == "" {
		return false
	}
	want, err := a.Token.Key(ctx)
	if err != nil || want == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(given), []byte(want)) == 1
}
