package translate

import (
	"encoding/base64"
	"encoding/binary"
	"image"
	_ "image/gif" // registers GIF for image.DecodeConfig
	_ "image/jpeg"
	_ "image/png"
	"io"
	"strings"
)

// Image formats every image-capable Bedrock family accepts.
var imageFormats = map[string]string{
	"image/jpeg": "jpeg",
	"image/jpg":  "jpeg",
	"image/png":  "png",
	"image/gif":  "gif",
	"image/webp": "webp",
}

// parseDataURL splits "data:<media type>[;params];base64,<data>".
func parseDataURL(u string) (media, data string, base64ok, ok bool) {
	if len(u) < 5 || !strings.EqualFold(u[:5], "data:") {
		return "", "", false, false
	}
	meta, data, found := strings.Cut(u[5:], ",")
	if !found {
		return "", "", false, false
	}
	fields := strings.Split(meta, ";")
	media = strings.ToLower(strings.TrimSpace(fields[0]))
	for _, f := range fields[1:] {
		if strings.EqualFold(strings.TrimSpace(f), "base64") {
			base64ok = true
		}
	}
	return media, data, base64ok, true
}

// parseImage checks an image_url: a base64 data URL of a JPEG, PNG, GIF or
// WebP image whose bytes match its declared type.
func parseImage(u, param string) (part, *LineError) {
	lower := strings.ToLower(u)
	if strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") {
		return part{}, lerrf(CodeUnsupportedValue, param, "Bedrock batch inference cannot fetch image URLs: embed the image as a base64 data URL (data:image/png;base64,...)")
	}
	media, data, isB64, ok := parseDataURL(u)
	if !ok {
		return part{}, lerrf(CodeInvalidValue, param, "the image URL must be a base64 data URL (data:image/png;base64,...)")
	}
	format, known := imageFormats[media]
	if !known {
		return part{}, lerrf(CodeUnsupportedValue, param, "image type %q is not supported: use image/jpeg, image/png, image/gif or image/webp", media)
	}
	if media == "image/jpg" {
		media = "image/jpeg"
	}
	if !isB64 {
		return part{}, lerrf(CodeInvalidValue, param, "the image data URL must be base64-encoded (;base64,)")
	}
	size, ok := base64Size(data)
	if !ok {
		return part{}, lerrf(CodeInvalidValue, param, "the image data is not valid standard base64 (with padding)")
	}
	if size == 0 {
		return part{}, lerrf(CodeInvalidValue, param, "the image is empty")
	}
	w, h, got := imageConfig(data)
	if got != format {
		if got == "" {
			return part{}, lerrf(CodeInvalidValue, param, "the image data is not a valid %s image", format)
		}
		return part{}, lerrf(CodeInvalidValue, param, "the data URL says %s but the image is %s", media, got)
	}
	return part{kind: partImage, media: media, data: data, size: size, width: w, height: h}, nil
}

// parsePDF checks a file part's file_data: a base64 data URL of a PDF.
func parsePDF(u, param string) (part, *LineError) {
	if u == "" {
		return part{}, lerrf(CodeMissingParameter, param, "%s is required", param)
	}
	media, data, isB64, ok := parseDataURL(u)
	if !ok || !isB64 {
		return part{}, lerrf(CodeInvalidValue, param, "file_data must be a base64 data URL (data:application/pdf;base64,...)")
	}
	if media != "application/pdf" {
		return part{}, lerrf(CodeUnsupportedValue, param, "file type %q is not supported: only application/pdf", media)
	}
	size, ok := base64Size(data)
	if !ok {
		return part{}, lerrf(CodeInvalidValue, param, "the file data is not valid standard base64 (with padding)")
	}
	head := make([]byte, 5)
	if n, _ := io.ReadFull(base64.NewDecoder(base64.StdEncoding, strings.NewReader(data)), head); n < 5 || string(head) != "%PDF-" {
		return part{}, lerrf(CodeInvalidValue, param, "the file data is not a PDF")
	}
	return part{kind: partPDF, media: media, data: data, size: size}, nil
}

// base64Size checks that s is padded standard base64 and returns the decoded
// size, without decoding.
func base64Size(s string) (int, bool) {
	if len(s)%4 != 0 {
		return 0, false
	}
	pad := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			if pad > 0 {
				return 0, false
			}
		case c == '=':
			pad++
			if pad > 2 || i < len(s)-2 {
				return 0, false
			}
		default:
			return 0, false
		}
	}
	return len(s)/4*3 - pad, true
}

// imageConfig decodes just enough of a base64 image to learn its format
// ("jpeg", "png", "gif", "webp") and size in pixels.
func imageConfig(data string) (w, h int, format string) {
	r := base64.NewDecoder(base64.StdEncoding, strings.NewReader(data))
	var head [30]byte
	n, _ := io.ReadFull(r, head[:])
	if n >= 16 && string(head[0:4]) == "RIFF" && string(head[8:12]) == "WEBP" {
		w, h = webpSize(head[:n])
		return w, h, "webp"
	}
	cfg, format, err := image.DecodeConfig(io.MultiReader(strings.NewReader(string(head[:n])), r))
	if err != nil {
		return 0, 0, ""
	}
	return cfg.Width, cfg.Height, format
}

// webpSize reads the canvas size from a WebP header (VP8, VP8L or VP8X).
func webpSize(b []byte) (w, h int) {
	if len(b) < 30 {
		return 0, 0
	}
	switch string(b[12:16]) {
	case "VP8X":
		w = 1 + (int(b[24]) | int(b[25])<<8 | int(b[26])<<16)
		h = 1 + (int(b[27]) | int(b[28])<<8 | int(b[29])<<16)
	case "VP8 ":
		w = int(binary.LittleEndian.Uint16(b[26:28]) & 0x3fff)
		h = int(binary.LittleEndian.Uint16(b[28:30]) & 0x3fff)
	case "VP8L":
		bits := binary.LittleEndian.Uint32(b[21:25])
		w = int(bits&0x3fff) + 1
		h = int(bits>>14&0x3fff) + 1
	}
	return w, h
}
