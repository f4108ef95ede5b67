package httpapi

import (
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/digitaltwin/twin/app/twin"
	"golang.org/x/time/rate"
)

// rateLimiter is a token bucket per client address: perMinute requests a minute, bursting to
// perMinute. Buckets idle for a minute are full again and are swept, so memory stays bounded by
// the clients of the last minutes.
type rateLimiter struct {
	perMinute int
	now       func() time.Time

	mu        sync.Mutex
	clients   map[string]*client
	lastSweep time.Time
}

type client struct {
	limiter  *rate.Limiter
	lastSeen time.Time
}

func newRateLimiter(perMinute int) *rateLimiter {
	return &rateLimiter{perMinute: perMinute, now: time.Now, clients: map[string]*client{}}
}

// allow reports whether key may make a request now, and if not, how long until it may.
func (l *rateLimiter) allow(key string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > time.Minute {
		for k, c := range l.clients {
			if now.Sub(c.lastSeen) > 2*time.Minute {
				delete(l.clients, k)
			}
		}
		l.lastSweep = now
	}
	c, ok := l.clients[key]
	if !ok {
		c = &client{limiter: rate.NewLimiter(rate.Every(time.Minute/time.Duration(l.perMinute)), l.perMinute)}
		l.clients[key] = c
	}
	c.lastSeen = now
	res := c.limiter.ReserveN(now, 1)
	if delay := res.DelayFrom(now); delay > 0 {
		res.CancelAt(now)
		return false, delay
	}
	return true, 0
}

// rateLimit answers 429 with Retry-After once a client exceeds its budget. Health checks, CORS
// preflights and the static UI are not counted.
func rateLimit(l *rateLimiter, logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/api/health" || r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		if ok, wait := l.allow(clientKey(r)); !ok {
			writeError(w, r, logger, &twin.Error{
				Code: twin.CodeRateLimited, Message: "too many messages; please slow down", RetryAfter: wait,
			})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// clientKey is the client's address: the connection's (the Lambda fronts put the front's source
// IP in RemoteAddr), or CloudFront-Viewer-Address on a request that carried the origin secret,
// since behind CloudFront the source is an edge server shared by many visitors. Without the
// secret that header is anyone's to forge, like X-Forwarded-For, and is ignored. An IPv6 client
// is keyed by its /64: one subscriber commonly holds a whole /64, and keying single addresses
// would let it rotate through 2^64 of them to dodge every per-client limit.
func clientKey(r *http.Request) string {
	host := r.RemoteAddr
	if viewer, ok := viewerAddress(r.Header.Get(ViewerAddressHeader)); ok && viaEdge(r) {
		host = viewer
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	} else if i := strings.LastIndexByte(host, ':'); i > 0 && !validAddr(host) && validAddr(host[:i]) {
		host = host[:i] // an IPv6 address with ":port" appended without brackets
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

func validAddr(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}
