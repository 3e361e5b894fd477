package tgsim

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/mt"
	"github.com/gotd/td/proto"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"
	"github.com/gotd/td/tgtest"
)

// methodNames maps TL constructor ids to names such as "messages.getHistory".
var methodNames = sync.OnceValue(func() map[uint32]string {
	out := map[uint32]string{}
	for id, name := range tg.TypesMap() {
		if i := strings.IndexByte(name, '#'); i >= 0 {
			name = name[:i]
		}
		out[id] = name
	}
	return out
})

// serviceTypes are MTProto service messages: never answered with a result.
var serviceTypes = sync.OnceValue(func() map[uint32]bool {
	out := map[uint32]bool{}
	for id := range mt.TypesMap() {
		out[id] = true
	}
	return out
})

// tailObject captures the query wrapped by initConnection and friends, so
// the wrapper's fields can be decoded with gotd's generated code while the
// inner method is decoded later.
type tailObject struct{ buf []byte }

func (t *tailObject) Decode(b *bin.Buffer) error {
	t.buf = b.Buf
	b.Skip(b.Len())
	return nil
}

func (t *tailObject) Encode(*bin.Buffer) error { return errors.New("tail object is decode-only") }

// rawObject is an already encoded TL object.
type rawObject []byte

func (r rawObject) Encode(b *bin.Buffer) error {
	b.Put(r)
	return nil
}

// rpcResult is rpc_result#f35c6d01 req_msg_id:long result:Object written
// straight from an encoded result, saving the copies of tgtest's SendResult.
type rpcResult struct {
	reqMsgID int64
	result   rawObject
	// buf, when set, is a pooled slice to encode into (see sendRaw).
	buf *[]byte
}

func (r rpcResult) Encode(b *bin.Buffer) error {
	// tgtest.Server.Send encodes into an empty buffer and then encrypts in
	// place: sizing it once, with room for the encryption header and
	// padding, spares a dozen reallocations of a 30 KB page.
	need := len(b.Buf) + 12 + len(r.result) + 1024
	if r.buf != nil && len(b.Buf) == 0 && cap(*r.buf) >= need {
		b.Buf = (*r.buf)[:0]
	}
	if cap(b.Buf) < need {
		grown := make([]byte, len(b.Buf), need)
		copy(grown, b.Buf)
		b.Buf = grown
		if r.buf != nil && len(b.Buf) == 0 {
			*r.buf = grown
		}
	}
	b.PutID(proto.ResultTypeID)
	b.PutLong(r.reqMsgID)
	b.Put(r.result)
	return nil
}

// invocation is a decoded call, independent of the request buffer.
type invocation struct {
	req     tgtest.Request // Buf is nil: the buffer is reused by tgtest
	keyID   [8]byte
	layer   int
	apiID   int
	method  string
	params  string
	arrived time.Time
	// run computes the answer: an object and a summary for the record, or an
	// error (a *tgerr.Error is sent to the client as rpc_error).
	run func(ctx context.Context, c *callCtx) (bin.Encoder, string, error)
	// noAuth marks methods that work before login.
	noAuth bool
	// noFaults marks methods exempt from limits and faults (help.getConfig).
	noFaults bool
}

// callCtx is what a method sees of its caller.
type callCtx struct {
	keyID [8]byte
	phone string // "" before login
	world time.Time
}

// onMessage is tgtest's handler. It runs on the connection's read loop, so
// it decodes synchronously (the buffer is reused) and answers from a
// goroutine, letting one connection have many calls in flight.
func (s *Server) onMessage(srv *tgtest.Server, req *tgtest.Request) error {
	id, err := req.Buf.PeekID()
	if err != nil {
		return fmt.Errorf("peek id: %w", err)
	}
	if serviceTypes()[id] {
		return nil // msgs_ack, msgs_state_req, ...: nothing to answer
	}
	inv := &invocation{
		req:     tgtest.Request{DC: req.DC, Session: req.Session, MsgID: req.MsgID, RequestCtx: req.RequestCtx},
		keyID:   req.Session.AuthKey.ID,
		arrived: s.clock.real(),
	}
	s.mu.Lock()
	s.session[req.Session.ID] = req.Session
	s.mu.Unlock()

	buf := req.Buf
	if err := s.unwrap(inv, &buf); err != nil {
		s.reject(inv, tgerr.New(400, "INPUT_REQUEST_INVALID"))
		return nil
	}
	if err := s.decodeMethod(inv, buf); err != nil {
		s.reject(inv, err)
		return nil
	}
	s.answers.Add(1)
	go func() {
		defer s.answers.Done()
		s.execute(inv)
	}()
	return nil
}

// unwrap peels invokeWithoutUpdates, invokeWithLayer, initConnection and the
// other invoke wrappers, keeping layer and api_id for the auth key.
func (s *Server) unwrap(inv *invocation, bufp **bin.Buffer) error {
	buf := *bufp
	for {
		id, err := buf.PeekID()
		if err != nil {
			return err
		}
		switch id {
		case tg.InvokeWithoutUpdatesRequestTypeID:
			if err := buf.ConsumeID(id); err != nil {
				return err
			}
		case tg.InvokeWithLayerRequestTypeID:
			if err := buf.ConsumeID(id); err != nil {
				return err
			}
			layer, err := buf.Int()
			if err != nil {
				return err
			}
			inv.layer = layer
			s.keyInfo(inv.keyID, func(k *keyState) { k.layer = layer })
		case tg.InvokeAfterMsgRequestTypeID:
			if err := buf.ConsumeID(id); err != nil {
				return err
			}
			if _, err := buf.Long(); err != nil {
				return err
			}
		case tg.InitConnectionRequestTypeID:
			var tail tailObject
			ic := tg.InitConnectionRequest{Query: &tail}
			if err := ic.Decode(buf); err != nil {
				return err
			}
			inv.apiID = ic.APIID
			s.keyInfo(inv.keyID, func(k *keyState) { k.apiID = ic.APIID })
			buf = &bin.Buffer{Buf: tail.buf}
		default:
			*bufp = buf
			if inv.layer == 0 || inv.apiID == 0 {
				s.keyInfo(inv.keyID, func(k *keyState) {
					if inv.layer == 0 {
						inv.layer = k.layer
					}
					if inv.apiID == 0 {
						inv.apiID = k.apiID
					}
				})
			}
			return nil
		}
	}
}

// reject records and answers a call that could not be decoded. The answer
// is sent from a goroutine like every other: the read loop never waits for
// the connection to take a write.
func (s *Server) reject(inv *invocation, err error) {
	if inv.method == "" {
		inv.method = "?"
	}
	cc := &callCtx{keyID: inv.keyID, world: s.worldAt(), phone: s.phoneOf(inv.keyID)}
	s.record(inv, cc, "", err)
	s.answers.Add(1)
	go func() {
		defer s.answers.Done()
		s.answer(inv, nil, err)
	}()
}

// execute applies limits and faults, runs the method and sends the answer.
func (s *Server) execute(inv *invocation) {
	ctx := inv.req.RequestCtx
	cc := &callCtx{keyID: inv.keyID, world: s.worldAt()}
	cc.phone = s.phoneOf(inv.keyID)
	var (
		res     bin.Encoder
		summary string
		err     error
	)
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("tgsim method panicked", "method", inv.method, "panic", fmt.Sprint(r))
			s.answer(inv, nil, tgerr.New(500, "INTERNAL"))
		}
	}()
	if !inv.noFaults {
		account := cc.phone
		if account == "" {
			account = "key:" + hex.EncodeToString(inv.keyID[:])
		}
		if err = s.limits.allow(account, inv.method, s.clock.real()); err != nil {
			s.record(inv, cc, "", err)
			s.answer(inv, nil, err)
			return
		}
		delay, fault := s.faults.draw()
		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			}
		}
		switch fault {
		case faultInternal:
			err = errInternal()
		case faultTimeout:
			err = errTimeout()
		case faultDrop:
			s.record(inv, cc, "", errors.New("connection dropped"))
			s.srv.ForceDisconnect(inv.req.Session)
			return
		}
		if err != nil {
			s.record(inv, cc, "", err)
			s.answer(inv, nil, err)
			return
		}
	}
	if !inv.noAuth && cc.phone == "" {
		err = tgerr.New(401, "AUTH_KEY_UNREGISTERED")
	} else {
		res, summary, err = inv.run(ctx, cc)
	}
	s.record(inv, cc, summary, err)
	s.answer(inv, res, err)
}

// worldAt is the world time a call sees: now, rounded down to the cache
// bucket so that equal queries in one bucket get equal answers.
func (s *Server) worldAt() time.Time {
	return s.clock.Now().Truncate(s.bucket)
}

// answer sends res or err to the caller. Errors that are not Telegram errors
// become 500 INTERNAL, as Telegram answers when its back end fails.
func (s *Server) answer(inv *invocation, res bin.Encoder, err error) {
	var sendErr error
	if err != nil {
		var rpcErr *tgerr.Error
		if !errors.As(err, &rpcErr) {
			s.log.Error("tgsim method failed", "method", inv.method, "err", err)
			rpcErr = tgerr.New(500, "INTERNAL")
		}
		sendErr = s.srv.SendErr(&inv.req, rpcErr)
	} else {
		switch r := res.(type) {
		case rawObject:
			sendErr = s.sendRaw(inv, r)
		case *encodedPage:
			sendErr = s.sendRaw(inv, r.bytes())
			r.release()
		default:
			page, err := s.cache.encode(r)
			if err != nil {
				sendErr = err
				break
			}
			sendErr = s.sendRaw(inv, page.bytes())
			page.release()
		}
	}
	if sendErr != nil {
		s.log.Debug("tgsim answer not delivered", "method", inv.method, "err", sendErr)
	}
}

// sendRaw sends an encoded result.
// The buffer tgtest encodes and encrypts an answer in is local to its Send
// and written out before Send returns, so it is lent from a pool.
func (s *Server) sendRaw(inv *invocation, raw rawObject) error {
	buf, _ := s.sendBufs.Get().(*[]byte)
	if buf == nil {
		buf = new([]byte)
	}
	defer s.sendBufs.Put(buf)
	return s.srv.Send(inv.req.RequestCtx, inv.req.Session, proto.MessageServerResponse,
		rpcResult{reqMsgID: inv.req.MsgID, result: raw, buf: buf})
}

func (s *Server) record(inv *invocation, cc *callCtx, summary string, err error) {
	c := Call{
		Time:     inv.arrived,
		World:    cc.world,
		AuthKey:  hex.EncodeToString(inv.keyID[:]),
		Account:  cc.phone,
		Layer:    inv.layer,
		APIID:    inv.apiID,
		Method:   inv.method,
		Params:   inv.params,
		Result:   summary,
		Duration: s.clock.real().Sub(inv.arrived),
	}
	if err != nil {
		var rpcErr *tgerr.Error
		if errors.As(err, &rpcErr) {
			c.Code, c.Error = rpcErr.Code, rpcErr.Message
		} else {
			c.Error = err.Error()
		}
	}
	s.rec.add(c)
	if err != nil {
		s.log.Debug("tgsim call", "method", c.Method, "params", c.Params, "error", c.Error)
	}
}

// errUnsupported answers methods the simulator does not implement.
func errUnsupported() error { return tgerr.New(400, "METHOD_NOT_SUPPORTED") }

// decodeMethod decodes the inner method and binds its implementation.
func (s *Server) decodeMethod(inv *invocation, buf *bin.Buffer) error {
	id, err := buf.PeekID()
	if err != nil {
		return tgerr.New(400, "INPUT_REQUEST_INVALID")
	}
	name, known := methodNames()[id]
	if !known {
		// Telegram's answer to a constructor it does not know.
		inv.method = fmt.Sprintf("#%08x", id)
		return tgerr.New(400, fmt.Sprintf("INPUT_METHOD_INVALID_%d", id))
	}
	inv.method = name
	if err := s.bindMethod(inv, id, buf); err != nil {
		var rpcErr *tgerr.Error
		if errors.As(err, &rpcErr) {
			return err
		}
		return tgerr.New(400, "INPUT_REQUEST_INVALID")
	}
	if inv.run == nil {
		inv.noAuth = true
		inv.run = func(context.Context, *callCtx) (bin.Encoder, string, error) {
			return nil, "", errUnsupported()
		}
	}
	return nil
}
