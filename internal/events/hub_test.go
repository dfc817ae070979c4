package events

import "testing"

type recordRelay struct{ sent []Change }

func (r *recordRelay) Send(c Change) { r.sent = append(r.sent, c) }

func woken(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestHubDeliversByGenerationAndUser(t *testing.T) {
	h := NewHub()
	gen, cancelGen := h.SubscribeGeneration("g1")
	defer cancelGen()
	user, cancelUser := h.SubscribeUser(7)
	defer cancelUser()
	other, cancelOther := h.SubscribeUser(8)
	defer cancelOther()

	h.Publish(Change{UserID: 7, GenerationID: "g1"})
	h.Publish(Change{UserID: 7, GenerationID: "g1"}) // merged into the pending wake-up, never blocks
	if !woken(gen) || !woken(user) {
		t.Fatal("subscribers of g1 and of user 7 were not woken")
	}
	if woken(gen) || woken(user) {
		t.Fatal("two publishes left two wake-ups; they should merge")
	}
	if woken(other) {
		t.Fatal("user 8 was woken by user 7's change")
	}
	h.Publish(Change{UserID: 7, GenerationID: "g2"})
	if woken(gen) {
		t.Fatal("g1's subscriber was woken by g2")
	}
	if !woken(user) {
		t.Fatal("user 7's stream missed g2")
	}
}

func TestHubRelayAndCancel(t *testing.T) {
	h := NewHub()
	r := &recordRelay{}
	h.SetRelay(r)
	ch, cancel := h.SubscribeUser(1)
	h.Deliver(Change{UserID: 1, GenerationID: "x"}) // from another replica: not relayed again
	if !woken(ch) || len(r.sent) != 0 {
		t.Fatalf("Deliver: relayed=%d, want woken and not relayed", len(r.sent))
	}
	h.Publish(Change{UserID: 1, GenerationID: "y"})
	if len(r.sent) != 1 || r.sent[0].GenerationID != "y" {
		t.Fatalf("relay got %+v, want the one published change", r.sent)
	}
	if !woken(ch) {
		t.Fatal("Publish did not wake the local subscriber")
	}
	cancel()
	cancel() // idempotent
	h.Publish(Change{UserID: 1, GenerationID: "z"})
	if woken(ch) {
		t.Fatal("a cancelled subscription was woken")
	}
	if len(h.byUser) != 0 {
		t.Fatalf("subscriber maps not cleaned: %v", h.byUser)
	}
	a, ca := h.SubscribeGeneration("a")
	defer ca()
	h.DeliverAll()
	if !woken(a) {
		t.Fatal("DeliverAll missed a subscriber")
	}
}
