package httpapi

import (
	"net/http"

	"github.com/batchgate/batchgate/internal/gateway"
	"github.com/batchgate/batchgate/internal/openai"
)

func (s *Server) handleBatchCreate() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		var req gateway.CreateBatchRequest
		if err := decode(r, &req); err != nil {
			return err
		}
		b, err := s.Gateway.CreateBatch(r.Context(), caller(r), req)
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, openai.NewBatch(b))
	})
}

func (s *Server) handleBatchGet() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		b, err := s.Gateway.FindBatch(r.Context(), caller(r), r.PathValue("batch_id"))
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, openai.NewBatch(b))
	})
}

func (s *Server) handleBatchList() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		page, err := parsePage(r, 100)
		if err != nil {
			return err
		}
		want := page.Limit
		page.Limit++
		batches, err := s.Gateway.FindBatches(r.Context(), caller(r), page)
		if err != nil {
			return err
		}
		more := len(batches) > want
		if more {
			batches = batches[:want]
		}
		out := make([]openai.Batch, len(batches))
		for i, b := range batches {
			out[i] = openai.NewBatch(b)
		}
		return encode(w, http.StatusOK, openai.NewList(out, func(b openai.Batch) string { return b.ID }, more))
	})
}

func (s *Server) handleBatchCancel() http.Handler {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		b, err := s.Gateway.CancelBatch(r.Context(), caller(r), r.PathValue("batch_id"))
		if err != nil {
			return err
		}
		return encode(w, http.StatusOK, openai.NewBatch(b))
	})
}
