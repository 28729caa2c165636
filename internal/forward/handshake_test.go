package forward_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/forward"
	"github.com/welfbridge/welfbridge/internal/forward/forwardtest"
)

func TestSecureForwardHandshake(t *testing.T) {
	const key, password = "s3cr3t-shared", "pa55w0rd"
	users := map[string]string{"welf": password, "other": "x"}
	client := forward.Auth{SharedKey: key, SelfHostname: "gw-collector"}
	withUser := client
	withUser.Username, withUser.Password = "welf", password

	for _, tt := range []struct {
		name   string
		secure forwardtest.Secure
		auth   forward.Auth
		// want is the error of Send after the address; "" means the
		// records arrive. refused is the receiver's handshake error.
		want, refused string
	}{
		{name: "shared key", secure: forwardtest.Secure{SharedKey: key}, auth: client},
		{name: "shared key and user", secure: forwardtest.Secure{SharedKey: key, Users: users}, auth: withUser},
		{name: "user with an empty shared key", secure: forwardtest.Secure{Users: users},
			auth: forward.Auth{SelfHostname: "gw-collector", Username: "welf", Password: password}},
		{name: "user the receiver does not ask for", secure: forwardtest.Secure{SharedKey: key}, auth: withUser},
		{name: "wrong shared key", secure: forwardtest.Secure{SharedKey: "another key"}, auth: client,
			want:    "handshake: the receiver closed the connection after PING; in_forward does this when the shared key does not match",
			refused: "refused: shared_key mismatch"},
		{name: "wrong password", secure: forwardtest.Secure{SharedKey: key, Users: users},
			auth: forward.Auth{SharedKey: key, SelfHostname: "gw-collector", Username: "welf", Password: "guess"},
			want: `handshake: the receiver refused: "username/password mismatch"`, refused: `refused: user "welf": username/password mismatch`},
		{name: "no user where users are required", secure: forwardtest.Secure{SharedKey: key, Users: users}, auth: client,
			want: `handshake: the receiver refused: "username/password mismatch"`, refused: `refused: user "": username/password mismatch`},
		{name: "impostor without the shared key", secure: forwardtest.Secure{SharedKey: "impostor", AcceptAnyPING: true}, auth: client,
			want: "handshake: the receiver does not prove that it knows the shared key (PONG digest mismatch)"},
		{name: "receiver with the client's name", secure: forwardtest.Secure{SharedKey: key, SelfHostname: "gw-collector"}, auth: client,
			want: `handshake: the receiver calls itself "gw-collector", as this client does: give welf another Forward_Self_Hostname`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			secure := tt.secure
			r := forwardtest.Start(t, forwardtest.Options{Secure: &secure, KeepRaw: true})
			c := newClient(t, forward.Config{Address: r.Addr(), RequireAck: true, Auth: tt.auth})
			recs := fixture(t)
			err := c.Send(recs)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				checkEvents(t, r.Events(), fixtureEvents("welf"))
			} else {
				checkError(t, err, "forward tcp://"+r.Addr()+": "+tt.want)
				if n := r.EventCount(); n != 0 {
					t.Errorf("the receiver stored %d events from a client it did not let in", n)
				}
			}
			if tt.refused != "" {
				if errs := r.WaitHandshakeErrors(1, waitTimeout); errs[0].Error() != tt.refused {
					t.Errorf("receiver: got %v, want %s", errs, tt.refused)
				}
			}
			// Secrets never cross the wire, only digests of them.
			for _, secret := range []string{key, password} {
				for _, raw := range r.Raw() {
					if bytes.Contains(raw, []byte(secret)) {
						t.Errorf("%q was sent", secret)
					}
				}
			}
		})
	}
}

// A new connection after a failure runs the handshake again: the second
// Send after the receiver restarted is let in and delivers.
func TestSecureForwardHandshakeOnReconnect(t *testing.T) {
	r := forwardtest.Start(t, forwardtest.Options{Secure: &forwardtest.Secure{SharedKey: "k"}})
	c := newClient(t, forward.Config{Address: r.Addr(), RequireAck: true, Auth: forward.Auth{SharedKey: "k", SelfHostname: "gw"}})
	recs := fixture(t)
	if err := c.Send(recs[:2]); err != nil {
		t.Fatal(err)
	}
	r.Stop()
	r.Restart()
	if err := c.Send(recs[2:]); err != nil {
		t.Fatal(err)
	}
	checkEvents(t, r.Events(), fixtureEvents("welf"))
}

// A receiver that requires the handshake from a client that does not do
// it, and the reverse: both fail with a message that says what to set.
func TestSecureForwardMismatchedSettings(t *testing.T) {
	t.Run("receiver requires it", func(t *testing.T) {
		r := forwardtest.Start(t, forwardtest.Options{Secure: &forwardtest.Secure{SharedKey: "k"}, AllowProtocolErrors: true})
		c := newClient(t, forward.Config{Address: r.Addr(), RequireAck: true})
		checkError(t, c.Send(fixture(t)), "forward tcp://"+r.Addr()+
			": the receiver asks for the secure-forward handshake (HELO): set Forward_Shared_Key (and Forward_Username, Forward_Password when it has users)")
	})
	t.Run("receiver does not do it", func(t *testing.T) {
		r := forwardtest.Start(t, forwardtest.Options{})
		c := newClient(t, forward.Config{Address: r.Addr(), DialTimeout: 200 * time.Millisecond, Auth: forward.Auth{SharedKey: "k", SelfHostname: "gw"}})
		checkError(t, c.Send(fixture(t)), "forward tcp://"+r.Addr()+
			": handshake: no HELO from the receiver within 200ms: is shared_key set on its in_forward?")
	})
}

func TestSecureForwardOverTLS(t *testing.T) {
	certs := forwardtest.NewCerts(t)
	r := forwardtest.Start(t, forwardtest.Options{TLS: certs.ServerConfig(), Secure: &forwardtest.Secure{SharedKey: "k"}, KeepRaw: true})
	c := newClient(t, forward.Config{Address: r.Addr(), RequireAck: true, TLS: certs.ClientConfig(), Auth: forward.Auth{SharedKey: "k", SelfHostname: "gw"}})
	recs := fixture(t)
	if err := c.Send(recs); err != nil {
		t.Fatal(err)
	}
	checkEvents(t, r.Events(), fixtureEvents("welf"))
	checkNoPlaintext(t, r, recs)
}

// Close aborts a Send that waits for a HELO, however long DialTimeout is.
func TestCloseUnblocksHandshake(t *testing.T) {
	r := forwardtest.Start(t, forwardtest.Options{KeepRaw: true}) // never sends a HELO
	c := newClient(t, forward.Config{Address: r.Addr(), DialTimeout: time.Hour, Auth: forward.Auth{SharedKey: "k", SelfHostname: "gw"}})
	done := make(chan error, 1)
	go func() { done <- c.Send(fixture(t)) }()
	for deadline := time.Now().Add(waitTimeout); len(r.Raw()) == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the client did not connect")
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		// The receiver sees the connection before the client's dial
		// returns, so Close may catch the client in either step.
		prefix := "forward tcp://" + r.Addr() + ": "
		if err == nil || err.Error() != prefix+"handshake: wait for HELO: use of closed network connection" &&
			!(strings.HasPrefix(err.Error(), prefix) && strings.HasSuffix(err.Error(), "operation was canceled")) {
			t.Fatalf("got error %v\nwant the handshake or the dial ended by Close", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Send still blocked after Close")
	}
}
