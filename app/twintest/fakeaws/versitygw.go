package fakeaws

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/digitaltwin/twin/app/awsclient"
)

// Credentials of the throwaway gateway StartVersity runs.
const (
	VersityAccess = "twinaccess"
	VersitySecret = "twin-secret-key-for-tests"
)

// FindTool returns the path of a Go-installed tool: $envVar, else $PATH, else $(go env
// GOPATH)/bin (where `make tools-aws` installs it), else "".
func FindTool(envVar, name string) string {
	if p := os.Getenv(envVar); p != "" {
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			gopath = string(bytes.TrimSpace(out))
		}
	}
	for _, dir := range filepath.SplitList(gopath) {
		p := filepath.Join(dir, "bin", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// StartVersity runs versitygw (a real S3 gateway that checks SigV4 and conditional writes) on a
// loopback port with a temporary POSIX backend, creates buckets, and returns an S3 client for
// it. The test is skipped only when the binary is absent (`make tools-aws` installs it).
func StartVersity(t *testing.T, buckets ...string) *s3.Client {
	t.Helper()
	bin := FindTool("VERSITYGW", "versitygw")
	if bin == "" {
		t.Skip("versitygw not installed: run `make tools-aws`")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--access", VersityAccess, "--secret", VersitySecret, "--port", addr, "--quiet",
		"posix", dir)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start versitygw: %v", err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("versitygw output:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not listen on %s: %v\n%s", addr, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cfg, err := awsclient.Load(context.Background(), awsclient.Options{
		BaseDelay:  time.Millisecond,
		MaxBackoff: 5 * time.Millisecond,
		LoadOptions: []func(*config.LoadOptions) error{
			config.WithRegion("us-east-1"),
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(VersityAccess, VersitySecret, "")),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	client := Client(cfg, "http://"+addr)
	for _, b := range buckets {
		if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("create bucket %s on versitygw: %v\n%s", b, err, logs.String())
		}
	}
	return client
}

// WrongSecretClient returns a client for the same endpoint as c signing with a wrong secret.
func WrongSecretClient(t *testing.T, c *s3.Client) *s3.Client {
	cfg, err := awsclient.Load(context.Background(), awsclient.Options{
		MaxAttempts: 1,
		LoadOptions: []func(*config.LoadOptions) error{
			config.WithRegion("us-east-1"),
			config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(VersityAccess, "not-the-"+VersitySecret, "")),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return Client(cfg, aws.ToString(c.Options().BaseEndpoint))
}
