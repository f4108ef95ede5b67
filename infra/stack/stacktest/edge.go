package stacktest

import (
	"fmt"
	"slices"
	"strings"
)

// Edge is what a request to the deployed twin meets before the function, read from the stack's
// own resources: CloudFront's behaviours in order (the default last), its origins with their
// custom headers, the headers each behaviour's origin request policy forwards, the custom error
// responses, the HTTP API's route keys and the function URL's invoke mode.
type Edge struct {
	Behaviours     []Behaviour
	Origins        map[string]Origin // by origin id
	ErrorResponses []ErrorResponse
	APIRoutes      []string // HTTP API route keys ("GET /api/persona", "$default")
	URLInvokeMode  string   // the streaming function URL's
	URLAuthType    string
}

// Behaviour is one CloudFront cache behaviour.
type Behaviour struct {
	PathPattern    string // "*" for the default behaviour
	Origin         string
	AllowedMethods []string
	// Forwarded are the viewer headers the origin request policy passes on; nil when the
	// behaviour has none (then CloudFront forwards no viewer header).
	Forwarded []string
	// CacheKeyHeaders are the headers in the cache policy's key, which CloudFront also forwards.
	CacheKeyHeaders []string
	// ViewerRequestFunction is the code of the CloudFront Function on viewer requests, if any.
	ViewerRequestFunction string
	// ResponseHeaders are the headers the behaviour's response headers policy sets on every answer
	// (Content-Security-Policy, X-Frame-Options).
	ResponseHeaders map[string]string
}

// Origin is one CloudFront origin.
type Origin struct {
	Domain        string
	CustomHeaders map[string]string
	S3            bool // an S3 origin (the site bucket)
}

// ErrorResponse is one custom error response of the distribution.
type ErrorResponse struct {
	ErrorCode, ResponseCode int
	PagePath                string
}

// NewEdge reads the edge from a mocked run's resources. It expects one distribution, one HTTP
// API and one function URL.
func NewEdge(r *Result) (*Edge, error) {
	dists := r.Find("aws:cloudfront/distribution:Distribution")
	urls := r.Find("aws:lambda/functionUrl:FunctionUrl")
	if len(dists) != 1 || len(urls) != 1 {
		return nil, fmt.Errorf("stacktest: %d distributions and %d function URLs, want one each", len(dists), len(urls))
	}
	e := &Edge{Origins: map[string]Origin{}}
	e.URLInvokeMode, _ = urls[0].Inputs["invokeMode"].(string)
	e.URLAuthType, _ = urls[0].Inputs["authorizationType"].(string)
	for _, rt := range r.Find("aws:apigatewayv2/route:Route") {
		e.APIRoutes = append(e.APIRoutes, fmt.Sprint(rt.Inputs["routeKey"]))
	}
	byID := func(typ string) map[string]map[string]any {
		m := map[string]map[string]any{}
		for _, res := range r.Find(typ) {
			m[res.ID] = res.Inputs
		}
		return m
	}
	orps, caches := byID("aws:cloudfront/originRequestPolicy:OriginRequestPolicy"), byID("aws:cloudfront/cachePolicy:CachePolicy")
	rhps := byID("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")
	fns := map[string]string{}
	for _, f := range r.Find("aws:cloudfront/function:Function") {
		fns[fmt.Sprint(f.State["arn"])] = fmt.Sprint(f.Inputs["code"])
	}
	d := dists[0].Inputs
	for _, o := range list(d["origins"]) {
		om := o.(map[string]any)
		org := Origin{Domain: fmt.Sprint(om["domainName"]), CustomHeaders: map[string]string{}, S3: om["customOriginConfig"] == nil}
		for _, h := range list(om["customHeaders"]) {
			hm := h.(map[string]any)
			org.CustomHeaders[fmt.Sprint(hm["name"])] = fmt.Sprint(hm["value"])
		}
		e.Origins[fmt.Sprint(om["originId"])] = org
	}
	behaviour := func(b map[string]any, pattern string) Behaviour {
		out := Behaviour{PathPattern: pattern, Origin: fmt.Sprint(b["targetOriginId"]), AllowedMethods: strings2(b["allowedMethods"])}
		if p, ok := orps[fmt.Sprint(b["originRequestPolicyId"])]; ok {
			out.Forwarded = strings2(Dig(p, "headersConfig", "headers", "items"))
		}
		if c, ok := caches[fmt.Sprint(b["cachePolicyId"])]; ok {
			out.CacheKeyHeaders = strings2(Dig(c, "parametersInCacheKeyAndForwardedToOrigin", "headersConfig", "headers", "items"))
		}
		if p, ok := rhps[fmt.Sprint(b["responseHeadersPolicyId"])]; ok {
			out.ResponseHeaders = map[string]string{}
			if csp, ok := Dig(p, "securityHeadersConfig", "contentSecurityPolicy", "contentSecurityPolicy").(string); ok {
				out.ResponseHeaders["Content-Security-Policy"] = csp
			}
			if fo, ok := Dig(p, "securityHeadersConfig", "frameOptions", "frameOption").(string); ok {
				out.ResponseHeaders["X-Frame-Options"] = fo
			}
		}
		for _, fa := range list(b["functionAssociations"]) {
			fam := fa.(map[string]any)
			if fam["eventType"] == "viewer-request" {
				out.ViewerRequestFunction = fns[fmt.Sprint(fam["functionArn"])]
			}
		}
		return out
	}
	for _, b := range list(d["orderedCacheBehaviors"]) {
		bm := b.(map[string]any)
		e.Behaviours = append(e.Behaviours, behaviour(bm, fmt.Sprint(bm["pathPattern"])))
	}
	def, _ := d["defaultCacheBehavior"].(map[string]any)
	e.Behaviours = append(e.Behaviours, behaviour(def, "*"))
	for _, er := range list(d["customErrorResponses"]) {
		em := er.(map[string]any)
		code, _ := em["errorCode"].(float64)
		resp, _ := em["responseCode"].(float64)
		page, _ := em["responsePagePath"].(string)
		e.ErrorResponses = append(e.ErrorResponses, ErrorResponse{ErrorCode: int(code), ResponseCode: int(resp), PagePath: page})
	}
	return e, nil
}

// Behaviour returns the behaviour CloudFront picks for path: the first whose pattern matches.
func (e *Edge) Behaviour(path string) Behaviour {
	for _, b := range e.Behaviours {
		if Glob(b.PathPattern, path) {
			return b
		}
	}
	return e.Behaviours[len(e.Behaviours)-1]
}

// APIRoute returns the HTTP API route key that serves method and path: the matching route with
// the fewest wildcards, else $default when the API has it; "" when API Gateway answers 404.
func (e *Edge) APIRoute(method, path string) string {
	best, bestWild := "", -1
	for _, k := range e.APIRoutes {
		m, p, ok := strings.Cut(k, " ")
		if !ok || (m != method && m != "ANY") {
			continue
		}
		if wild, ok := matchRouteKey(p, path); ok && (bestWild < 0 || wild < bestWild) {
			best, bestWild = k, wild
		}
	}
	if best == "" && slices.Contains(e.APIRoutes, "$default") {
		return "$default"
	}
	return best
}

// matchRouteKey matches an API Gateway route path ({name} one segment, {name+} the rest) and
// returns how many wildcards it used.
func matchRouteKey(pattern, path string) (int, bool) {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	wild := 0
	for i, p := range ps {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "+}") {
			return wild + 1, i < len(xs) && xs[i] != ""
		}
		if i >= len(xs) {
			return 0, false
		}
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			if xs[i] == "" {
				return 0, false
			}
			wild++
			continue
		}
		if p != xs[i] {
			return 0, false
		}
	}
	return wild, len(ps) == len(xs)
}

// Glob reports whether a CloudFront path pattern matches path: * matches any run of characters
// (slashes included), ? exactly one; case-sensitive.
func Glob(pattern, path string) bool {
	if pattern == "" {
		return path == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(path); i++ {
			if Glob(pattern[1:], path[i:]) {
				return true
			}
		}
		return false
	case '?':
		return path != "" && Glob(pattern[1:], path[1:])
	}
	return path != "" && pattern[0] == path[0] && Glob(pattern[1:], path[1:])
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func strings2(v any) []string {
	var out []string
	for _, e := range list(v) {
		out = append(out, fmt.Sprint(e))
	}
	return out
}

// Dig follows path through nested maps of plain values; nil when a step is missing.
func Dig(m map[string]any, path ...string) any {
	var v any = m
	for _, k := range path {
		mm, _ := v.(map[string]any)
		v = mm[k]
	}
	return v
}
