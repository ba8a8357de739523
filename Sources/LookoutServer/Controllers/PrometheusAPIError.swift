import Hummingbird
import LookoutCodecs
import NIOCore

/// An error in the Prometheus HTTP API's envelope:
/// `{"status":"error","errorType":"bad_data","error":"..."}`.
struct PrometheusAPIError: HTTPResponseError {
    var status: HTTPResponse.Status
    var errorType: String
    var message: String

    static func badData(_ message: String) -> PrometheusAPIError {
        PrometheusAPIError(status: .badRequest, errorType: "bad_data", message: message)
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var bytes: [UInt8] = []
        JSONWriter.writeRaw(#"{"status":"error","errorType":"#, into: &bytes)
        JSONWriter.writeString(errorType, into: &bytes)
        JSONWriter.writeRaw(#","error":"#, into: &bytes)
        JSONWriter.writeString(message, into: &bytes)
        JSONWriter.writeRaw("}", into: &bytes)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// `{"status":"success","data":<data>}`
func prometheusSuccess(_ data: (inout [UInt8]) -> Void) -> Response {
    var bytes: [UInt8] = []
    JSONWriter.writeRaw(#"{"status":"success","data":"#, into: &bytes)
    data(&bytes)
    JSONWriter.writeRaw("}", into: &bytes)
    return json(bytes)
}
