package agent

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// ServiceAccountDir is where the kubelet mounts a Pod's service account
// token and the cluster's CA.
const ServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

// API reaches the API server as the agent's service account: it reads
// and labels its own node, which is all its ClusterRole allows.
type API struct {
	Server string // https://host:port
	// TokenFile is read before each request: the kubelet rotates it.
	TokenFile string
	client    *http.Client
}

// InCluster is the API of the Pod's service account. server overrides
// the address the kubelet gives (KUBERNETES_SERVICE_HOST and _PORT),
// for clusters whose Service addresses a host-network Pod cannot reach.
func InCluster(server string) (*API, error) {
	if server == "" {
		host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
		if host == "" || port == "" {
			return nil, fmt.Errorf("not in a Pod (no KUBERNETES_SERVICE_HOST): give --api-server")
		}
		server = "https://" + net.JoinHostPort(host, port)
	}
	ca, err := os.ReadFile(ServiceAccountDir + "/ca.crt")
	if err != nil {
		return nil, fmt.Errorf("the service account's CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("%s/ca.crt holds no certificate", ServiceAccountDir)
	}
	return &API{Server: strings.TrimSuffix(server, "/"), TokenFile: ServiceAccountDir + "/token", client: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}}, nil
}

func (a *API) do(ctx context.Context, method, path, contentType string, body []byte) ([]byte, error) {
	tok, err := os.ReadFile(a.TokenFile)
	if err != nil {
		return nil, fmt.Errorf("the service account's token: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.Server+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		var st struct{ Message string }
		if json.Unmarshal(out, &st) == nil && st.Message != "" {
			return nil, fmt.Errorf("%s %s: %s (%d)", method, path, st.Message, resp.StatusCode)
		}
		return nil, fmt.Errorf("%s %s: HTTP %d", method, path, resp.StatusCode)
	}
	return out, nil
}

// Label makes the node's agent labels exactly want, leaving its other
// labels alone, and returns the patch it sent (nil: nothing to change).
func (a *API) Label(ctx context.Context, node string, want map[string]string) (map[string]any, error) {
	out, err := a.do(ctx, http.MethodGet, "/api/v1/nodes/"+node, "", nil)
	if err != nil {
		return nil, err
	}
	var n struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(out, &n); err != nil {
		return nil, fmt.Errorf("node %s: %w", node, err)
	}
	patch := LabelPatch(n.Metadata.Labels, want)
	if len(patch["metadata"].(map[string]any)["labels"].(map[string]any)) == 0 {
		return nil, nil
	}
	body, err := json.Marshal(patch)
	if err != nil {
		return nil, err
	}
	_, err = a.do(ctx, http.MethodPatch, "/api/v1/nodes/"+node, "application/merge-patch+json", body)
	return patch, err
}
