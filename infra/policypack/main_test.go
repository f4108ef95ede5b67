package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/digitaltwin/twin/infra/policy"
)

// TestMain lets the test binary play the policy pack plugin: started with
// TWIN_POLICYPACK_SERVE=1 it runs main(), exactly what the engine would launch.
func TestMain(m *testing.M) {
	if os.Getenv("TWIN_POLICYPACK_SERVE") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// startAnalyzer launches the pack as the engine does (a process that prints its gRPC port)
// and returns a client for it, handshaken and configured for a stack.
func startAnalyzer(t *testing.T) pulumirpc.AnalyzerClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TWIN_POLICYPACK_SERVE=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	portc := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		portc <- strings.TrimSpace(line)
	}()
	var port string
	select {
	case port = <-portc:
	case <-time.After(30 * time.Second):
		t.Fatal("the policy pack printed no port")
	}
	conn, err := grpc.NewClient("127.0.0.1:"+port, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	c := pulumirpc.NewAnalyzerClient(conn)
	rpc, done := context.WithTimeout(context.Background(), 30*time.Second)
	defer done()
	if _, err := c.Handshake(rpc, &pulumirpc.AnalyzerHandshakeRequest{}); err != nil {
		t.Fatalf("Handshake: %v", err)
	}
	if _, err := c.ConfigureStack(rpc, &pulumirpc.AnalyzerStackConfigureRequest{Stack: "staging", Project: "twin", DryRun: true}); err != nil {
		t.Fatalf("ConfigureStack: %v", err)
	}
	return c
}

func props(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAnalyzerInfoListsEveryPolicy(t *testing.T) {
	c := startAnalyzer(t)
	info, err := c.GetAnalyzerInfo(context.Background(), &emptypb.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	if info.GetName() != Name || info.GetVersion() != Version {
		t.Errorf("pack %s %s", info.GetName(), info.GetVersion())
	}
	var got []string
	for _, p := range info.GetPolicies() {
		got = append(got, strings.TrimSuffix(p.GetName(), "-stack"))
		if p.GetEnforcementLevel() != pulumirpc.EnforcementLevel_MANDATORY {
			t.Errorf("%s is %v, want mandatory", p.GetName(), p.GetEnforcementLevel())
		}
	}
	for _, p := range policy.Policies() {
		if !slices.Contains(got, p.Name) {
			t.Errorf("policy %s not served (have %v)", p.Name, got)
		}
	}
}

// TestAnalyzeGoodAndBadFunctionURL drives Analyze with one good and one bad resource.
func TestAnalyzeGoodAndBadFunctionURL(t *testing.T) {
	c := startAnalyzer(t)
	analyze := func(name, auth string) []*pulumirpc.AnalyzeDiagnostic {
		t.Helper()
		resp, err := c.Analyze(context.Background(), &pulumirpc.AnalyzeRequest{
			Type:       policy.TypeFunctionURL,
			Name:       name,
			Urn:        "urn:pulumi:staging::twin::aws:lambda/functionUrl:FunctionUrl::" + name,
			Properties: props(t, map[string]any{"authorizationType": auth, "invokeMode": "RESPONSE_STREAM", "functionName": "twin-staging-stream"}),
		})
		if err != nil {
			t.Fatalf("Analyze %s: %v", name, err)
		}
		return resp.GetDiagnostics()
	}
	if ds := analyze("good", "AWS_IAM"); len(ds) != 0 {
		t.Errorf("good function URL: %v", ds)
	}
	ds := analyze("bad", "NONE")
	if len(ds) != 1 || ds[0].GetPolicyName() != "function-url-auth" || !strings.Contains(ds[0].GetMessage(), `"NONE"`) ||
		ds[0].GetEnforcementLevel() != pulumirpc.EnforcementLevel_MANDATORY || !strings.HasSuffix(ds[0].GetUrn(), "::bad") {
		t.Errorf("bad function URL diagnostics: %v", ds)
	}
}

func TestAnalyzeWildcardPolicyAndUnknowns(t *testing.T) {
	c := startAnalyzer(t)
	bad, err := c.Analyze(context.Background(), &pulumirpc.AnalyzeRequest{
		Type: policy.TypeRolePolicy, Name: "wide", Urn: "urn:pulumi:staging::twin::aws:iam/rolePolicy:RolePolicy::wide",
		Properties: props(t, map[string]any{"role": "r", "policy": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(bad.GetDiagnostics()) == 0 || bad.GetDiagnostics()[0].GetPolicyName() != "iam-least-privilege" {
		t.Errorf("wildcard policy diagnostics: %v", bad.GetDiagnostics())
	}
	// A preview sends unknown ARNs as the engine's unknown sentinel: skipped, not failed.
	unknown, err := c.Analyze(context.Background(), &pulumirpc.AnalyzeRequest{
		Type: policy.TypeRolePolicy, Name: "later", Urn: "urn:pulumi:staging::twin::aws:iam/rolePolicy:RolePolicy::later",
		Properties: props(t, map[string]any{"role": "r", "policy": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}),
	})
	if err != nil {
		t.Fatalf("Analyze with an unknown: %v", err)
	}
	if len(unknown.GetDiagnostics()) != 0 {
		t.Errorf("unknown policy diagnostics: %v", unknown.GetDiagnostics())
	}
}

func TestAnalyzeStackFindsUnencryptedBucket(t *testing.T) {
	c := startAnalyzer(t)
	resp, err := c.AnalyzeStack(context.Background(), &pulumirpc.AnalyzeStackRequest{Resources: []*pulumirpc.AnalyzerResource{{
		Type: policy.TypeBucket, Name: "plain", Urn: "urn:pulumi:staging::twin::aws:s3/bucketV2:BucketV2::plain",
		Properties: props(t, map[string]any{"bucket": "plain-123"}),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range resp.GetDiagnostics() {
		names = append(names, d.GetPolicyName())
		if !strings.HasSuffix(d.GetUrn(), "::plain") {
			t.Errorf("%s reported on %q", d.GetPolicyName(), d.GetUrn())
		}
	}
	slices.Sort(names)
	if want := []string{"bucket-encrypted", "bucket-not-public-stack", "bucket-tls-only"}; !slices.Equal(names, want) {
		t.Errorf("stack diagnostics %v, want %v", names, want)
	}
}
