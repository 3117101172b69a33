package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/switchboard-voice/switchboard"
)

// trunksView is the carrier trunks.
type trunksView struct {
	Trunks []*switchboard.Trunk
	Pager  pager
	Status string
}

func (h *Handler) handleTrunks(w http.ResponseWriter, r *http.Request, c *session) error {
	q := r.URL.Query()
	page, n := pageOf(q)
	f := switchboard.TrunkFilter{Status: oneOf(q.Get("status"), switchboard.StatusActive, switchboard.StatusInactive), Page: page}
	trunks, total, err := h.store.ListTrunks(r.Context(), c.key.OrganizationID, f)
	if err != nil {
		return err
	}
	h.render(w, r, c, http.StatusOK, "trunks", "Trunks", trunksView{Trunks: trunks, Pager: newPager(r, n, len(trunks), total), Status: f.Status})
	return nil
}

// trunkForm is the create and edit form of a trunk. Lists are
// comma-separated; the password is write-only (blank keeps it).
type trunkForm struct {
	ID, Name, Address, Failover, Transport, AuthUsername string
	HasPassword                                          bool
	NumberFormat, TechPrefix, MaxCalls, Status, Inbound  string
	Default                                              bool
	Error                                                string
}

// list splits a comma-separated field; empty gives an empty list.
func list(s string) []string {
	out := []string{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (f *trunkForm) read(r *http.Request) {
	pf := r.PostForm
	f.Name, f.Address, f.Failover = strings.TrimSpace(pf.Get("name")), strings.TrimSpace(pf.Get("address")), pf.Get("failover_addresses")
	f.Transport, f.AuthUsername, f.NumberFormat = pf.Get("transport"), strings.TrimSpace(pf.Get("auth_username")), pf.Get("number_format")
	f.TechPrefix, f.MaxCalls, f.Status = strings.TrimSpace(pf.Get("tech_prefix")), strings.TrimSpace(pf.Get("max_concurrent_calls")), pf.Get("status")
	f.Inbound, f.Default = pf.Get("inbound_addresses"), pf.Get("default") != ""
}

func (f *trunkForm) maxCalls() (int, error) {
	if f.MaxCalls == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(f.MaxCalls)
	if err != nil {
		return 0, errf("max_concurrent_calls", "Max concurrent calls must be a whole number (0: no limit).")
	}
	return n, nil
}

func trunkFormOf(t *switchboard.Trunk) trunkForm {
	return trunkForm{ID: t.ID, Name: t.Name, Address: t.Address, Failover: strings.Join(t.FailoverAddresses, ", "),
		Transport: t.Transport, AuthUsername: t.AuthUsername, HasPassword: t.AuthPassword != "",
		NumberFormat: t.NumberFormat, TechPrefix: t.TechPrefix, MaxCalls: strconv.Itoa(t.MaxConcurrentCalls),
		Status: t.Status, Inbound: strings.Join(t.InboundAddresses, ", "), Default: t.Default}
}

func (h *Handler) handleNewTrunk(w http.ResponseWriter, r *http.Request, c *session) error {
	h.render(w, r, c, http.StatusOK, "trunk", "New trunk", trunkView{Form: trunkForm{
		Transport: switchboard.TransportUDP, NumberFormat: switchboard.NumberFormatE164, Status: switchboard.StatusActive, MaxCalls: "0"}})
	return nil
}

// trunkView is a trunk (nil when creating) and its form.
type trunkView struct {
	Trunk *switchboard.Trunk
	Form  trunkForm
}

func (h *Handler) handleCreateTrunk(w http.ResponseWriter, r *http.Request, c *session) error {
	var f trunkForm
	f.read(r)
	t, err := h.createTrunk(r, c, &f)
	if switchboard.ErrorCode(err) == switchboard.ECodeValidation {
		f.Error = switchboard.ErrorMessage(err)
		h.render(w, r, c, http.StatusUnprocessableEntity, "trunk", "New trunk", trunkView{Form: f})
		return nil
	}
	if err != nil {
		return err
	}
	redirect(w, r, "/ui/trunks/"+t.ID, "created")
	return nil
}

func (h *Handler) createTrunk(r *http.Request, c *session, f *trunkForm) (*switchboard.Trunk, error) {
	n, err := f.maxCalls()
	if err != nil {
		return nil, err
	}
	t, err := switchboard.NewTrunk(switchboard.TrunkInput{
		Name: f.Name, Address: f.Address, FailoverAddresses: list(f.Failover), Transport: f.Transport,
		AuthUsername: f.AuthUsername, AuthPassword: r.PostForm.Get("auth_password"), NumberFormat: f.NumberFormat,
		TechPrefix: f.TechPrefix, MaxConcurrentCalls: n, Status: f.Status, Default: f.Default, InboundAddresses: list(f.Inbound),
	})
	if err != nil {
		return nil, err
	}
	if err := h.store.CreateTrunk(r.Context(), c.key.OrganizationID, t); err != nil {
		return nil, err
	}
	return t, nil
}

func (h *Handler) handleTrunk(w http.ResponseWriter, r *http.Request, c *session) error {
	t, err := h.store.FindTrunk(r.Context(), c.key.OrganizationID, r.PathValue("id"))
	if err != nil {
		return err
	}
	h.render(w, r, c, http.StatusOK, "trunk", "Trunk "+t.Name, trunkView{Trunk: t, Form: trunkFormOf(t)})
	return nil
}

func (h *Handler) handleUpdateTrunk(w http.ResponseWriter, r *http.Request, c *session) error {
	org, id := c.key.OrganizationID, r.PathValue("id")
	cur, err := h.store.FindTrunk(r.Context(), org, id)
	if err != nil {
		return err
	}
	f := trunkFormOf(cur)
	f.read(r)
	n, err := f.maxCalls()
	var t *switchboard.Trunk
	if err == nil {
		p := switchboard.TrunkPatch{
			Name: set(f.Name), Address: set(f.Address), FailoverAddresses: set(list(f.Failover)), Transport: set(f.Transport),
			AuthUsername: set(f.AuthUsername), NumberFormat: set(f.NumberFormat), TechPrefix: set(f.TechPrefix),
			MaxConcurrentCalls: set(n), Status: set(f.Status), Default: set(f.Default), InboundAddresses: set(list(f.Inbound)),
		}
		if pw := r.PostForm.Get("auth_password"); pw != "" {
			p.AuthPassword = set(pw)
		} else if r.PostForm.Get("clear_password") != "" {
			p.AuthPassword = switchboard.Optional[string]{Set: true, Null: true}
		}
		t, err = h.store.UpdateTrunk(r.Context(), org, id, p)
	}
	if switchboard.ErrorCode(err) == switchboard.ECodeValidation {
		f.Error = switchboard.ErrorMessage(err)
		h.render(w, r, c, http.StatusUnprocessableEntity, "trunk", "Trunk "+cur.Name, trunkView{Trunk: cur, Form: f})
		return nil
	}
	if err != nil {
		return err
	}
	redirect(w, r, "/ui/trunks/"+t.ID, "updated")
	return nil
}

func (h *Handler) handleConfirmDeleteTrunk(w http.ResponseWriter, r *http.Request, c *session) error {
	t, err := h.store.FindTrunk(r.Context(), c.key.OrganizationID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return h.confirm(w, r, c, confirmView{
		Heading: "Delete trunk " + t.Name + "?",
		Message: "Numbers that use it fall back to the default trunk.",
		Action:  "/ui/trunks/" + t.ID + "/delete", Button: "Delete trunk", Back: "/ui/trunks/" + t.ID,
	})
}

func (h *Handler) handleDeleteTrunk(w http.ResponseWriter, r *http.Request, c *session) error {
	if _, err := h.store.DeleteTrunk(r.Context(), c.key.OrganizationID, r.PathValue("id")); err != nil {
		return err
	}
	redirect(w, r, "/ui/trunks", "deleted")
	return nil
}
