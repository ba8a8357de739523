import CompressNIO
import Hummingbird
import NIOCore

/// Reading request bodies within limits, the same way for every ingest route.
enum RequestBody {
    /// The whole body, refused with 413 past `maxBytes` (by Content-Length before reading).
    static func collect(_ request: Request, maxBytes: Int, onReject: () -> Void) async throws -> ByteBuffer {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBytes {
            onReject()
            throw PlainTextError(.contentTooLarge, "request body of \(length) bytes exceeds the limit of \(maxBytes) bytes")
        }
        do {
            return try await request.body.collect(upTo: maxBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            onReject()
            throw PlainTextError(.contentTooLarge, "request body exceeds the limit of \(maxBytes) bytes")
        }
    }

    /// The inflated body; 413 when it inflates past `maxBytes`, 400 when it is not gzip.
    static func gunzip(_ body: ByteBuffer, maxBytes: Int, what: String, onReject: () -> Void) throws -> ByteBuffer {
        if body.readableBytes == 0 { return body }
        var body = body
        do {
            let inflated = try body.decompress(with: .gzip(), maxSize: maxBytes)
            // The decompressor checks its limit per buffer growth step, so check exactly here.
            guard inflated.readableBytes <= maxBytes else { throw CompressNIOError.bufferOverflow }
            return inflated
        } catch let error as CompressNIOError where error == .bufferOverflow {
            onReject()
            throw PlainTextError(.contentTooLarge, "gzip body inflates past the limit of \(maxBytes) bytes")
        } catch {
            onReject()
            throw PlainTextError(.badRequest, "Cannot gunzip \(what)")
        }
    }
}
