// Package oidctest runs a real OpenID provider on 127.0.0.1 for tests and the browser tests:
// zitadel/oidc's op package with its example storage and login page, in memory. Hooks let a
// test change what the token endpoint receives or answers (a dropped PKCE verifier, an ID token
// minted for another client), and it counts the token requests.
package oidctest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// User is a person at the provider.
type User struct {
	ID, Username, Password, Email string
	Groups                        []string // nil: no groups claim
}

// Client is a registered relying party.
type Client struct {
	ID, Secret   string
	RedirectURIs []string
}

// Provider is a running provider.
type Provider struct {
	Issuer string // http://127.0.0.1:PORT/ (with the trailing slash, as zitadel serves it)

	srv   *http.Server
	ln    net.Listener
	users *userStore

	mu          sync.Mutex
	tokenHook   func(form map[string][]string) // may change the form of the next token requests
	tokenAnswer []byte                         // when set, answered (once) instead of the provider's
	tokenCalls  atomic.Int64
}

// Start listens on addr (use "127.0.0.1:0") and serves until Close.
func Start(addr string, users []User, clients []Client) (*Provider, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || (host != "127.0.0.1" && host != "localhost" && host != "::1") {
		return nil, errors.New("oidctest: listens on loopback only")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	p := &Provider{ln: ln, Issuer: fmt.Sprintf("http://%s/", ln.Addr().String()), users: &userStore{byID: map[string]*User{}}}
	for i := range users {
		u := users[i]
		p.users.byID[u.ID] = &u
	}
	cs := map[string]*storage.Client{}
	for _, c := range clients {
		cs[c.ID] = storage.WebClient(c.ID, c.Secret, c.RedirectURIs...)
	}
	st := &groupStorage{Storage: storage.NewStorageWithClients(p.users, cs), users: p.users}
	router := exampleop.SetupServer(p.Issuer, st, nil, false)
	p.srv = &http.Server{Handler: p.intercept(router), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// Close stops the provider.
func (p *Provider) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return p.srv.Shutdown(ctx)
}

// SetUser adds or replaces a person (their groups, say) between sign-ins.
func (p *Provider) SetUser(u User) {
	p.users.mu.Lock()
	defer p.users.mu.Unlock()
	p.users.byID[u.ID] = &u
}

// OnTokenRequest changes the token requests' forms from now on (nil: none).
func (p *Provider) OnTokenRequest(f func(form map[string][]string)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tokenHook = f
}

// AnswerNextTokenRequest makes the next token request answer body (a JSON token response) as is.
func (p *Provider) AnswerNextTokenRequest(body []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tokenAnswer = body
}

// TokenRequests is how many token requests arrived.
func (p *Provider) TokenRequests() int64 { return p.tokenCalls.Load() }

// intercept applies the token hooks in front of the provider.
func (p *Provider) intercept(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/oauth/token" {
			next.ServeHTTP(w, r)
			return
		}
		p.tokenCalls.Add(1)
		p.mu.Lock()
		hook, answer := p.tokenHook, p.tokenAnswer
		p.tokenAnswer = nil
		p.mu.Unlock()
		if answer != nil {
			w.Header().Set("Content-Type", "application/json")
			w.Write(answer)
			return
		}
		if hook != nil {
			if err := r.ParseForm(); err != nil {
				http.Error(w, "bad form", http.StatusBadRequest)
				return
			}
			form := map[string][]string(r.PostForm)
			hook(form)
			body := []byte(encodeForm(form))
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
			r.PostForm, r.Form = nil, nil
		}
		next.ServeHTTP(w, r)
	})
}

func encodeForm(form map[string][]string) string { return url.Values(form).Encode() }

// userStore is the example storage's UserStore over our users.
type userStore struct {
	mu   sync.Mutex
	byID map[string]*User
}

func (s *userStore) get(id string) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byID[id]
}

func toStorageUser(u *User) *storage.User {
	if u == nil {
		return nil
	}
	return &storage.User{ID: u.ID, Username: u.Username, Password: u.Password, Email: u.Email, EmailVerified: true, FirstName: u.Username, LastName: "Test"}
}

func (s *userStore) GetUserByID(id string) *storage.User { return toStorageUser(s.get(id)) }

func (s *userStore) GetUserByUsername(name string) *storage.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.byID {
		if u.Username == name {
			return toStorageUser(u)
		}
	}
	return nil
}

func (s *userStore) ExampleClientID() string { return storage.ServiceUserID }

// groupStorage adds each person's groups claim to the ID token and the userinfo answer.
type groupStorage struct {
	*storage.Storage
	users *userStore
}

func (g *groupStorage) addGroups(info *oidc.UserInfo, userID string) {
	if u := g.users.get(userID); u != nil && u.Groups != nil {
		info.AppendClaims("groups", u.Groups)
	}
}

func (g *groupStorage) SetUserinfoFromScopes(ctx context.Context, info *oidc.UserInfo, userID, clientID string, scopes []string) error {
	if err := g.Storage.SetUserinfoFromScopes(ctx, info, userID, clientID, scopes); err != nil {
		return err
	}
	g.addGroups(info, userID)
	return nil
}

func (g *groupStorage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := g.Storage.SetUserinfoFromRequest(ctx, info, req, scopes); err != nil {
		return err
	}
	g.addGroups(info, req.GetSubject())
	return nil
}

func (g *groupStorage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, origin string) error {
	if err := g.Storage.SetUserinfoFromToken(ctx, info, tokenID, subject, origin); err != nil {
		return err
	}
	g.addGroups(info, info.Subject)
	return nil
}
