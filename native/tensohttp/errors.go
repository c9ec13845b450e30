package tensohttp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/tenso-go/tenso/native/budget"
)

// Detail messages of the reference (tenso.fastapi.get_tenso_data) and of
// FastAPI's defaults, used as the "detail" of JSON error bodies.
const (
	DetailContentType = "Expected application/octet-stream content type."
	DetailBadPacket   = "Invalid Tenso packet: " // + the decode error
	DetailNotFound    = "Not Found"
	DetailMethod      = "Method Not Allowed"
	DetailInternal    = "Internal Server Error"
	DetailBusy        = "Service Unavailable"
	DetailTimeout     = "Request body not received in time."
)

// HTTPError is an error with an HTTP status and a detail message. Return
// one from an endpoint (see Error) to answer with that status; ReadRequest
// returns one for every request it refuses.
type HTTPError struct {
	Status int
	Detail string
	Err    error // the cause, if any (not sent to the client)
}

// Error returns an *HTTPError; an endpoint that returns it answers with
// status and {"detail": detail}. status must be a 4xx or 5xx code; an App
// answers any other with 500.
func Error(status int, detail string) error { return &HTTPError{Status: status, Detail: detail} }

func (e *HTTPError) Error() string {
	return "tensohttp: " + strconv.Itoa(e.Status) + " " + http.StatusText(e.Status) + ": " + e.Detail
}

// Unwrap returns the cause.
func (e *HTTPError) Unwrap() error { return e.Err }

// StatusOf is the one rule that turns an endpoint's error into what the
// client is answered (shared by the App and by other transports that answer
// with HTTP statuses, such as tensonats services): an *HTTPError (see
// Error) with a status in 400..599 as it is, anything else 500 with
// DetailInternal and err as the cause.
func StatusOf(err error) *HTTPError {
	var he *HTTPError
	if errors.As(err, &he) && he.Status >= 400 && he.Status <= 599 {
		return he
	}
	return &HTTPError{Status: http.StatusInternalServerError, Detail: DetailInternal, Err: err}
}

// BadPacket is the answer to a request packet that does not decode: 422
// with the decode error's text.
func BadPacket(err error) *HTTPError {
	return &HTTPError{Status: http.StatusUnprocessableEntity, Detail: DetailBadPacket + err.Error(), Err: err}
}

// BudgetError is the answer to a refusal of the memory budget (package
// budget) for what (e.g. "the body"): 413 when the reservation can never
// fit, 503 (retry later) when the budget is momentarily spent.
func BudgetError(err error, what string) *HTTPError {
	if errors.Is(err, budget.ErrNeverFits) {
		return &HTTPError{Status: http.StatusRequestEntityTooLarge, Detail: "Request needs more memory than the server allows: " + what + ".", Err: err}
	}
	return &HTTPError{Status: http.StatusServiceUnavailable, Detail: "Server memory momentarily full; retry later.", Err: err}
}

// WriteError writes a FastAPI-style JSON error body: {"detail": detail}.
func WriteError(w http.ResponseWriter, status int, detail string) {
	body, err := json.Marshal(struct {
		Detail string `json:"detail"`
	}{detail})
	if err != nil { // unreachable for a string
		body = []byte(`{"detail":"` + http.StatusText(status) + `"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Del("Content-Disposition")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// StatusError is returned by Client calls when the server answers with a
// status outside 2xx.
type StatusError struct {
	Method     string
	URL        string
	StatusCode int
	Status     string // e.g. "422 Unprocessable Entity"
	// Detail is the server's message: the "detail" of a FastAPI-style JSON
	// body when there is one, else the body text (truncated).
	Detail string
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("tensohttp: %s %s: %s", e.Method, e.URL, e.Status)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}
