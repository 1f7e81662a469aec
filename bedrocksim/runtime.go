package bedrocksim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// The Bedrock runtime operations batch records stand for: InvokeModel (a
// model's native body in, its native answer out) and Converse (a Converse
// request without modelId in, the ConverseResponse out). They answer with the
// same per-family responders and validators as batch jobs use for records, so
// a client that runs small batches on demand meets the same checks. They are
// served on the control plane's address (real AWS has a separate
// bedrock-runtime host; the SDK reaches this one through
// AWS_ENDPOINT_URL_BEDROCK_RUNTIME or a BaseEndpoint).
const (
	OpInvokeModel = "InvokeModel"
	OpConverse    = "Converse"
)

// maxRuntimeBody is InvokeModel's documented body limit (25 MB).
const maxRuntimeBody = 25 << 20

// RuntimeCall is one runtime request the emulator answered with a model
// response (faults and refusals are not recorded), for tests that check no
// request ran twice.
type RuntimeCall struct {
	Operation string // OpInvokeModel or OpConverse
	ModelID   string
	Body      []byte
}

type runtimeLog struct {
	mu    sync.Mutex
	calls []RuntimeCall
}

// RuntimeCalls returns the runtime requests answered so far, oldest first.
func (s *Server) RuntimeCalls() []RuntimeCall {
	s.runtime.mu.Lock()
	defer s.runtime.mu.Unlock()
	return append([]RuntimeCall(nil), s.runtime.calls...)
}

func (s *Server) routeRuntime() {
	s.mux.Handle("POST /model/{modelId}/invoke", s.runtimeOperation(OpInvokeModel))
	s.mux.Handle("POST /model/{modelId}/converse", s.runtimeOperation(OpConverse))
}

// runtimeOperation answers InvokeModel or Converse. Queued InjectError
// errors and the throttle and server-error fractions apply as to the batch
// operations.
func (s *Server) runtimeOperation(op string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e := s.fault(op); e != nil {
			writeError(w, e)
			return
		}
		id := r.PathValue("modelId")
		m, e := s.runtimeModel(id)
		if e != nil {
			writeError(w, e)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxRuntimeBody+1))
		if err != nil {
			writeError(w, errorf(ValidationException, "Unable to read the request body: %v", err))
			return
		}
		if len(body) > maxRuntimeBody {
			writeError(w, errorf(ValidationException, "Input is too long for requested model."))
			return
		}
		fam := m.family
		if op == OpConverse {
			fam = converseFamily
		}
		input, err := decodeInput(body)
		if err != nil {
			writeError(w, errorf(ValidationException, "%s", malformed(err).Error()))
			return
		}
		sum := sha256.Sum256(body)
		resp, u, err := fam.invoke(&modelCall{modelID: id, model: m, recordID: hex.EncodeToString(sum[:8]), input: input, now: s.cfg.Now()})
		if err != nil {
			writeError(w, errorf(ValidationException, "%s", err.Error()))
			return
		}
		s.runtime.mu.Lock()
		s.runtime.calls = append(s.runtime.calls, RuntimeCall{Operation: op, ModelID: id, Body: body})
		s.runtime.mu.Unlock()
		if op == OpInvokeModel {
			// InvokeModel reports the tokens in headers as well (Converse in its body).
			w.Header().Set("X-Amzn-Bedrock-Input-Token-Count", fmt.Sprint(u.in))
			w.Header().Set("X-Amzn-Bedrock-Output-Token-Count", fmt.Sprint(u.out))
		}
		writeJSON(w, http.StatusOK, resp)
	})
}

// runtimeModel resolves the modelId of a runtime call: a base model id, an
// inference profile id or ARN, or an ARN of Config.ModelARNs. Unlike jobs,
// runtime calls are not limited to the batch regions.
func (s *Server) runtimeModel(id string) (model, *apiError) {
	if target, ok := s.cfg.ModelARNs[id]; ok {
		id = target
	}
	if strings.HasPrefix(id, "arn:") && !strings.Contains(id, ":foundation-model/") && !strings.Contains(id, ":inference-profile/") {
		return model{}, errorf(ResourceNotFoundException, "The specified model %s could not be found.", id)
	}
	m, ok := resolveModel(id)
	if !ok {
		return model{}, errorf(ValidationException, "The provided model identifier is invalid.")
	}
	return m, nil
}
