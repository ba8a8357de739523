@testable import LookoutTemplate

/// Parses and renders in one step, as most tests want.
func render(_ text: String, _ data: TemplateValue = .null, functions: TemplateFunctions = .prometheus(), name: String = "test") async throws(TemplateError) -> String {
    try await Template(name: name, text: text, functions: functions).render(data: data)
}

/// The message of the parse or execution error `text` produces, or nil when it succeeds.
func errorMessage(_ text: String, _ data: TemplateValue = .null, functions: TemplateFunctions = .prometheus(), name: String = "test") async -> String? {
    do {
        _ = try await render(text, data, functions: functions, name: name)
        return nil
    } catch {
        return error.message
    }
}

func parseError(_ text: String, name: String = "test") -> String? {
    do {
        _ = try Template(name: name, text: text)
        return nil
    } catch {
        return error.message
    }
}

func list(_ values: Double...) -> TemplateValue {
    .list(values.map { .number($0) })
}
