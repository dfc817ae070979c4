package testutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// S3Server is a real S3-compatible server (versitygw) on 127.0.0.1.
type S3Server struct {
	Endpoint  string
	Region    string
	AccessKey string
	SecretKey string
	Dir       string
	// CACert is the self-signed certificate of a TLS server (nil over plain HTTP).
	CACert *x509.Certificate
	cmd    *exec.Cmd
	done   chan struct{}
	bin    string
	args   []string
}

// versitygwBin finds the pinned binary that scripts/install-tools.sh builds.
func versitygwBin(t testing.TB) string {
	if p := os.Getenv("VERSITYGW_BIN"); p != "" {
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, ".tools", "bin", "versitygw")
			if _, err := os.Stat(p); err == nil {
				return p
			}
			break
		}
		dir = filepath.Dir(dir)
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	t.Fatal("versitygw is not installed: run scripts/install-tools.sh")
	return ""
}

// StartS3 starts versitygw on a free loopback port, waits until it answers, and stops it at the
// end of the test. With tlsOn it serves HTTPS with a fresh self-signed certificate.
func StartS3(t testing.TB, tlsOn bool) *S3Server {
	t.Helper()
	bin := versitygwBin(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	s := &S3Server{Region: "us-east-1", AccessKey: "testkey", SecretKey: "testsecret123", Dir: data, done: make(chan struct{})}
	args := []string{"--access", s.AccessKey, "--secret", s.SecretKey, "--port", fmt.Sprintf("127.0.0.1:%d", port), "--quiet"}
	scheme := "http"
	if tlsOn {
		certFile, keyFile, cert := selfSigned(t, dir)
		s.CACert = cert
		args = append(args, "--cert", certFile, "--key", keyFile)
		scheme = "https"
	}
	args = append(args, "posix", data)
	s.bin, s.args = bin, args
	s.Endpoint = fmt.Sprintf("%s://127.0.0.1:%d", scheme, port)
	t.Cleanup(s.Stop)
	s.start(t)
	return s
}

// Restart starts a stopped server again on the same port and data (an outage that ends).
func (s *S3Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	s.done = make(chan struct{})
	s.start(t)
}

func (s *S3Server) start(t testing.TB) {
	t.Helper()
	s.cmd = exec.Command(s.bin, s.args...)
	s.cmd.Stdout, s.cmd.Stderr = os.Stderr, os.Stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start versitygw: %v", err)
	}
	done := s.done
	cmd := s.cmd
	go func() { _ = cmd.Wait(); close(done) }()
	client := s.HTTPClient()
	WaitFor(t, 20*time.Second, "versitygw to answer at "+s.Endpoint, func() bool {
		resp, err := client.Get(s.Endpoint + "/")
		if err == nil {
			resp.Body.Close()
			return true
		}
		select {
		case <-s.done:
			t.Fatalf("versitygw exited at start: %v", err)
		default:
		}
		return false
	})
}

// HTTPClient trusts the server's certificate (TLS) and ignores proxies.
func (s *S3Server) HTTPClient() *http.Client {
	tr := &http.Transport{Proxy: nil}
	if s.CACert != nil {
		pool := x509.NewCertPool()
		pool.AddCert(s.CACert)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// Stop kills the server (an outage); safe to call twice.
func (s *S3Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// Env returns the studio's S3 variables for bucket.
func (s *S3Server) Env(bucket string) map[string]string {
	return map[string]string{"S3_ENDPOINT": s.Endpoint, "S3_REGION": s.Region, "S3_BUCKET": bucket,
		"S3_ACCESS_KEY_ID": s.AccessKey, "S3_SECRET_ACCESS_KEY": s.SecretKey, "S3_FORCE_PATH_STYLE": "true"}
}

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// selfSigned writes a certificate for 127.0.0.1 and returns absolute paths (versitygw needs them).
func selfSigned(t testing.TB, dir string) (string, string, *x509.Certificate) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	cf, kf := filepath.Join(abs, "tls.crt"), filepath.Join(abs, "tls.key")
	if err := os.WriteFile(cf, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kf, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cf, kf, cert
}
