package stack

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Cache headers of the uploaded export. Next.js content-hashes everything under _next/static/,
// so those files never change under their name; every other file (HTML, the RSC payloads
// index.txt, icons) keeps its name across builds and must be revalidated.
const (
	CacheImmutable  = "public, max-age=31536000, immutable"
	CacheRevalidate = "no-cache"
)

// contentTypes are the export's file types. A fixed table rather than mime.TypeByExtension,
// which reads the machine's /etc/mime.types: the same export must give the same objects on a
// laptop and in CI.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8", ".txt": "text/plain; charset=utf-8",
	".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8", ".json": "application/json", ".map": "application/json",
	".webmanifest": "application/manifest+json", ".xml": "application/xml",
	".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
	".gif": "image/gif", ".webp": "image/webp", ".avif": "image/avif", ".ico": "image/x-icon",
	".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf",
	".pdf": "application/pdf", ".wasm": "application/wasm",
}

// SiteObject is one file of the export as it is uploaded.
type SiteObject struct {
	Key, Source, ContentType, CacheControl string
}

// SiteObjects lists the export in dir as objects: key, content type, cache header. It fails in
// one line when the export is missing (no index.html), naming the command that makes it.
func SiteObjects(dir string) ([]SiteObject, error) {
	if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
		return nil, fmt.Errorf("the static export %s has no index.html: build it first (make frontend-build)", dir)
	}
	var out []SiteObject
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if strings.HasPrefix(path.Base(key), ".") {
			return nil // never publish dotfiles
		}
		ct, ok := contentTypes[strings.ToLower(path.Ext(key))]
		if !ok {
			ct = "application/octet-stream"
		}
		cache := CacheRevalidate
		if strings.HasPrefix(key, "_next/static/") {
			cache = CacheImmutable
		}
		out = append(out, SiteObject{Key: key, Source: p, ContentType: ct, CacheControl: cache})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the static export %s: %w", dir, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// NewSiteObjects uploads the export (config siteDir) to the site bucket, one BucketObjectv2 per
// file: `pulumi up` replaces changed files and deletes removed ones; Pulumi hashes each file,
// so an unchanged one is a no-op.
func NewSiteObjects(ctx *pulumi.Context, cfg *Config, bucket *s3.BucketV2) error {
	objects, err := SiteObjects(ProjectPath(ctx, cfg.SiteDir))
	if err != nil {
		return fmt.Errorf("config %s:siteDir: %w", cfg.Project, err)
	}
	for _, o := range objects {
		if _, err := s3.NewBucketObjectv2(ctx, cfg.Prefix+"-site/"+o.Key, &s3.BucketObjectv2Args{
			Bucket:       bucket.ID(),
			Key:          pulumi.String(o.Key),
			Source:       pulumi.NewFileAsset(o.Source),
			ContentType:  pulumi.String(o.ContentType),
			CacheControl: pulumi.String(o.CacheControl),
		}, pulumi.Parent(bucket)); err != nil {
			return err
		}
	}
	return nil
}
