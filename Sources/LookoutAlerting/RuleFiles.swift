import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds rules files by glob and parses them all, failing on the first bad one.
public enum RuleFiles {
    /// Paths matching `pattern`, sorted; a pattern without wildcards names one file, which must exist.
    public static func expand(_ pattern: String) throws(RuleFileError) -> [String] {
        guard pattern.contains(where: { "*?[".contains($0) }) else {
            guard FileManager.default.fileExists(atPath: pattern) else {
                throw RuleFileError(file: pattern, line: 0, column: 0, message: "no such file")
            }
            return [pattern]
        }
        var matches = glob_t()
        defer { globfree(&matches) }
        let status = glob(pattern, 0, nil, &matches)
        guard status == 0 else {
            if status == GLOB_NOMATCH { return [] }
            throw RuleFileError(file: pattern, line: 0, column: 0, message: "invalid pattern")
        }
        var paths: [String] = []
        for index in 0..<Int(matches.gl_pathc) {
            if let path = matches.gl_pathv[index] { paths.append(String(cString: path)) }
        }
        return paths.sorted()
    }

    public static func load(patterns: [String], parser: RuleFileParser) throws(RuleFileError) -> [(String, RuleFile)] {
        var seen = Set<String>()
        var files: [(String, RuleFile)] = []
        for pattern in patterns {
            for path in try expand(pattern) where seen.insert(path).inserted {
                files.append((path, try read(path, parser: parser)))
            }
        }
        return files
    }

    public static func read(_ path: String, parser: RuleFileParser) throws(RuleFileError) -> RuleFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RuleFileError(file: path, line: 0, column: 0, message: "cannot read the file")
        }
        guard data.count <= 16 << 20 else {
            throw RuleFileError(file: path, line: 0, column: 0, message: "the file is larger than 16 MiB")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw RuleFileError(file: path, line: 0, column: 0, message: "the file is not UTF-8")
        }
        return try parser.parse(yaml: text, path: path)
    }
}
