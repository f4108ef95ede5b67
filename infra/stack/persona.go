package stack

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// PersonaIsFolder reports whether the stack's persona is a folder of sources (personaKey ends in
// "/"), uploaded object by object under that prefix, rather than one file.
func (c *Config) PersonaIsFolder() bool { return strings.HasSuffix(c.PersonaKey, "/") }

// personaSources lists the files of a persona folder the twin reads (every .txt, .md and .pdf,
// and persona.yaml; hidden files and folders left out), as slash-separated paths in path order.
// The same rule as the app's persona.Readable, kept here because infra imports no app code.
func personaSources(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		name := filepath.ToSlash(rel)
		switch strings.ToLower(path.Ext(name)) {
		case ".txt", ".md", ".pdf":
			out = append(out, name)
		default:
			if name == "persona.yaml" {
				out = append(out, name)
			}
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9-]+`)

// uploadPersona puts the persona into the memory bucket: personaFile as the object personaKey,
// or, for a folder, every source file under the personaKey prefix (a file removed from the folder
// is deleted from the bucket by the next `pulumi up`).
func uploadPersona(ctx *pulumi.Context, cfg *Config, bucket *s3.BucketV2, opts ...pulumi.ResourceOption) ([]*s3.BucketObjectv2, error) {
	src := ProjectPath(ctx, cfg.PersonaFile)
	st, err := os.Stat(src)
	if err != nil {
		return nil, fmt.Errorf("personaFile: %w", err)
	}
	if st.IsDir() != cfg.PersonaIsFolder() {
		return nil, fmt.Errorf("personaFile %q and personaKey %q disagree: a folder needs a personaKey ending in \"/\", a file one that does not", cfg.PersonaFile, cfg.PersonaKey)
	}
	type upload struct{ name, key, file string }
	var ups []upload
	if st.IsDir() {
		names, err := personaSources(src)
		if err != nil {
			return nil, fmt.Errorf("personaFile %q: %w", cfg.PersonaFile, err)
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("personaFile %q holds no .txt, .md or .pdf file", cfg.PersonaFile)
		}
		for _, n := range names {
			ups = append(ups, upload{cfg.Prefix + "-persona-" + strings.Trim(unsafeName.ReplaceAllString(n, "-"), "-"), cfg.PersonaKey + n, filepath.Join(src, filepath.FromSlash(n))})
		}
	} else {
		ups = []upload{{cfg.Prefix + "-persona", cfg.PersonaKey, src}}
	}
	var objs []*s3.BucketObjectv2
	for _, u := range ups {
		ct := "text/plain; charset=utf-8"
		switch strings.ToLower(path.Ext(u.key)) {
		case ".pdf":
			ct = "application/pdf"
		case ".md":
			ct = "text/markdown; charset=utf-8"
		case ".yaml":
			ct = "application/yaml"
		}
		o, err := s3.NewBucketObjectv2(ctx, u.name, &s3.BucketObjectv2Args{
			Bucket:               bucket.ID(),
			Key:                  pulumi.String(u.key),
			Source:               pulumi.NewFileAsset(u.file),
			ContentType:          pulumi.String(ct),
			ServerSideEncryption: pulumi.String("AES256"),
		}, opts...)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	return objs, nil
}
