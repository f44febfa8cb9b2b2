import LeptonIO

/// Why a request was not scored: the HTTP status to answer with, a message that says what is
/// wrong, the field concerned (when there is one) and a hint. Answered as
/// `{"error": message, "field": field, "hint": hint, "status": status}`.
public struct ServeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status code (400, 401, 403, 404, 413, 422, 503, 504 …).
    public var status: Int
    public var message: String
    public var field: String?
    public var hint: String?

    public init(status: Int, _ message: String, field: String? = nil, hint: String? = nil) {
        self.status = status
        self.message = message
        self.field = field
        self.hint = hint
    }

    /// 400: the request cannot be read as asked (malformed JSON, a wrong type, a missing field).
    public static func badRequest(_ message: String, field: String? = nil, hint: String? = nil) -> ServeError {
        ServeError(status: 400, message, field: field, hint: hint)
    }

    /// 422: well-formed, but the content cannot be scored (an image over the pixel limit).
    public static func unprocessable(_ message: String, field: String? = nil, hint: String? = nil) -> ServeError {
        ServeError(status: 422, message, field: field, hint: hint)
    }

    /// 504: no answer within the per-request time limit.
    public static func timedOut(after milliseconds: Int) -> ServeError {
        ServeError(status: 504, "no answer within \(milliseconds) ms", hint: "retry, send fewer records per request, or ask the operator to raise --timeout-ms")
    }

    /// 503: the bodies held by all requests at once reached `--max-body-bytes-in-flight`.
    public static let bodyBudgetSpent = ServeError(status: 503, "the server holds too many request bodies at once",
                                                   hint: "retry shortly, or send smaller requests")

    /// The JSON answer's body.
    public var json: JSONValue {
        var fields: [(String, JSONValue)] = [("error", .string(message))]
        if let field { fields.append(("field", .string(field))) }
        if let hint { fields.append(("hint", .string(hint))) }
        fields.append(("status", .int(status)))
        return .object(fields)
    }

    public var description: String { "\(status): \(message)" + (field.map { " (field '\($0)')" } ?? "") }
}
