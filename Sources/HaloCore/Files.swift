import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Every file Halo reads or writes goes through this file: reading with a size limit and one-line
// errors naming the file, and the one output discipline of every subcommand (`OutputFiles`): outputs
// checked against the inputs before anything is read, written complete to temporaries in their
// target directories and renamed together, devices written through, symbolic links followed.
// No call here can trap: every system call's failure becomes a `HaloError` naming the file.

/// Limits on sizes that come from outside (command lines, file headers), checked before use.
public enum Limits {
    /// The most worker threads a run may ask for (`--threads`).
    public static let maxThreads = 1024
    /// The widest bus a delay table may describe: its codes 0 … 2^53 − 1 are exact integers in JSON
    /// (whose numbers are doubles), so a table reads the same written as CSV or as JSON.
    public static let maxBusWidth = 53
    /// The largest text input read whole (delay tables, reports, text weights, activation files), bytes.
    public static let maxTextInputBytes = 1 << 30
}

extension HaloError {
    /// An error about the file `path` as a whole (no line and column): `path: error: message`.
    public init(_ message: String, file path: String) {
        self.init(message, at: SourceLocation(file: path))
    }
}

/// The identity of a file: device and inode, as `stat(2)` gives them.
public struct FileIdentity: Hashable, Sendable {
    /// The device the file is on.
    public var device: UInt64
    /// The file's inode number on that device.
    public var inode: UInt64

    init(_ s: stat) {
        device = UInt64(truncatingIfNeeded: s.st_dev)
        inode = UInt64(truncatingIfNeeded: s.st_ino)
    }
}

/// Reading input files: whole, bounded, with errors of the form `file: error: …`.
public enum InputFile {
    /// Checks that `path` names a file that can be read (not a directory), and returns its identity.
    /// - Throws: `HaloError` naming the file: `no such file`, `is a directory, not a file`, `permission denied`.
    @discardableResult
    public static func check(_ path: String) throws -> (identity: FileIdentity, isRegular: Bool) {
        var s = stat()
        guard stat(path, &s) == 0 else { throw HaloError(readReason(errno), file: path) }
        if s.st_mode & S_IFMT == S_IFDIR { throw HaloError("is a directory, not a file", file: path) }
        guard access(path, R_OK) == 0 else { throw HaloError(readReason(errno), file: path) }
        return (FileIdentity(s), s.st_mode & S_IFMT == S_IFREG)
    }

    /// The bytes of the file at `path`, read whole (a pipe or device until its end).
    /// - Parameter limitBytes: a file (or stream) longer than this is refused, naming the size and the limit.
    /// - Throws: `HaloError` naming the file when it is missing, a directory, unreadable or too long.
    public static func read(_ path: String, limitBytes: Int = Limits.maxTextInputBytes) throws -> Data {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw HaloError(readReason(errno), file: path) }
        defer { close(fd) }
        var s = stat()
        guard fstat(fd, &s) == 0 else { throw HaloError(readReason(errno), file: path) }
        if s.st_mode & S_IFMT == S_IFDIR { throw HaloError("is a directory, not a file", file: path) }
        if s.st_mode & S_IFMT == S_IFREG, Int64(s.st_size) > Int64(limitBytes) {
            throw HaloError("the file has \(s.st_size) bytes, more than the limit of \(limitBytes) for this kind of input", file: path)
        }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw HaloError("cannot read: \(reason(errno))", file: path)
            }
            if n == 0 { break }
            guard data.count + n <= limitBytes else {
                throw HaloError("more than \(limitBytes) bytes, the limit for this kind of input", file: path)
            }
            data.append(contentsOf: buffer[0 ..< n])
        }
        return data
    }

    /// The bytes of the file at `path`, decompressed when it is gzip-compressed (whatever its name), as
    /// OpenSTA reads `.lib.gz` and `.v.gz` files.
    /// - Throws: as ``read(_:limitBytes:)``, and for malformed gzip data (naming the byte offset).
    public static func readDecompressing(_ path: String, limitBytes: Int = Limits.maxTextInputBytes) throws -> Data {
        let data = try read(path, limitBytes: limitBytes)
        return Gzip.isCompressed(data) ? try Gzip.decompress(data, path: path, limitBytes: limitBytes) : data
    }

    /// The bytes of `path` as UTF-8 text.
    /// - Throws: as ``read(_:limitBytes:)``, and `file:1:1: error: 'file' is not UTF-8 text`.
    public static func readText(_ path: String, limitBytes: Int = Limits.maxTextInputBytes) throws -> (text: String, data: Data) {
        let data = try read(path, limitBytes: limitBytes)
        guard let text = String(data: data, encoding: .utf8) else {
            throw HaloError("'\(path)' is not UTF-8 text", at: SourceLocation(file: path, line: 1, column: 1))
        }
        return (text, data)
    }

    /// Why a file cannot be opened for reading, in words.
    static func readReason(_ code: Int32) -> String {
        switch code {
        case ENOENT: return "no such file"
        case ENOTDIR: return "no such file (a component of the path is not a directory)"
        case EISDIR: return "is a directory, not a file"
        case EACCES, EPERM: return "cannot read: permission denied"
        default: return "cannot read: \(reason(code))"
        }
    }
}

/// `read(2)` (inside `InputFile`, `read` names its own method).
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, buffer, count) }

/// `strerror` in lower case: `no space left on device`.
func reason(_ code: Int32) -> String {
    let text = String(cString: strerror(code))
    guard let first = text.first else { return "error \(code)" }
    return first.lowercased() + text.dropFirst()
}

/// Writing to standard output and standard error without trapping (Foundation's `FileHandle.write(_:)`
/// traps on a write error).
public enum StandardStreams {
    /// Writes `data` to standard output.
    /// - Throws: `halo: error: cannot write standard output: <reason>` (a full disk, a closed pipe).
    public static func writeOutput(_ data: Data) throws {
        if let code = writeAll(1, data) { throw HaloError("cannot write standard output: \(reason(code))") }
    }

    /// Writes `text` to standard output (see ``writeOutput(_:)-(Data)``).
    public static func writeOutput(_ text: String) throws { try writeOutput(Data(text.utf8)) }

    /// Writes `text` to standard error, best effort: there is nowhere to report a failure.
    public static func writeError(_ text: String) { _ = writeAll(2, Data(text.utf8)) }

    /// Writes every byte to `fd`; the `errno` of a failure, or nil.
    static func writeAll(_ fd: Int32, _ data: Data) -> Int32? {
        data.withUnsafeBytes { raw -> Int32? in
            guard var p = raw.baseAddress else { return nil }
            var left = raw.count
            while left > 0 {
                let n = write(fd, p, left)
                if n < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    return errno
                }
                if n == 0 { return EIO }
                p += n
                left -= n
            }
            return nil
        }
    }
}

/// The output files of one run, written all or none.
///
/// Created before any input is read, it checks every output path:
/// - a directory, or a path whose directory does not exist or cannot be written, is refused;
/// - an output that is the same file as an input (same device and inode, symbolic links followed),
///   or as another output, is refused, so that no run reads a file it is overwriting;
/// - a symbolic link is followed: the file it points to is written and the link stays a link;
/// - a device, FIFO or socket (`/dev/null`, `/dev/stdout`) is written through, never replaced.
///
/// ``commit(_:standardOutput:)`` then writes every regular output to a temporary file in its target
/// directory, writes the devices and standard output, and only when all of that has succeeded renames
/// the temporaries into place. A failure removes the temporaries, restores any file already replaced,
/// and throws one error naming the file: no output is left half written and no old file is lost.
public struct OutputFiles: Sendable {
    /// How one output is written.
    struct Output: Sendable {
        /// The path as the user gave it (for messages).
        var path: String
        /// The file written: `path` with symbolic links followed.
        var target: String
        /// A device, FIFO or socket: opened and written in place.
        var writeThrough: Bool
        /// Permission bits of the file replaced, kept on its successor.
        var mode: mode_t?
    }

    let outputs: [Output]

    /// Checks `outputs` (paths as given; empty for a run that writes only standard output) against
    /// each other and against `inputs`, which must all be readable files.
    /// - Throws: `HaloError` naming the file at fault: `x.csv: error: no such file`,
    ///   `out/r.json: error: cannot write: no such directory 'out'`, `t.csv: error: is also an input;
    ///   refusing to overwrite it`, …
    public init(_ outputs: [String], inputs: [String]) throws {
        var inputIdentities: [FileIdentity: String] = [:]
        for path in inputs {
            let (identity, isRegular) = try InputFile.check(path)
            if isRegular, inputIdentities[identity] == nil { inputIdentities[identity] = path }
        }
        var seen: [String: String] = [:]   // identity key of each output → its path
        var result: [Output] = []
        for path in outputs {
            guard !path.isEmpty else { throw HaloError("an output file name is empty") }
            let target = try OutputFiles.followLinks(path)
            var s = stat()
            var output = Output(path: path, target: target, writeThrough: false, mode: nil)
            let key: String
            if stat(target, &s) == 0 {
                switch s.st_mode & S_IFMT {
                case S_IFDIR:
                    throw HaloError("cannot write: it is a directory", file: path)
                case S_IFREG:
                    let identity = FileIdentity(s)
                    if let input = inputIdentities[identity] {
                        throw HaloError(input == path ? "is also an input of this run; refusing to overwrite it"
                                                      : "is the same file as the input '\(input)'; refusing to overwrite it", file: path)
                    }
                    guard access(target, W_OK) == 0 else { throw HaloError("cannot write: permission denied", file: path) }
                    try OutputFiles.checkDirectory(of: target, path: path)
                    output.mode = s.st_mode & 0o7777
                    key = "\(identity.device):\(identity.inode)"
                default:
                    guard access(target, W_OK) == 0 else { throw HaloError("cannot write: permission denied", file: path) }
                    output.writeThrough = true
                    key = "device \(FileIdentity(s).device):\(FileIdentity(s).inode)"
                }
            } else if errno == ENOENT {
                let directory = try OutputFiles.checkDirectory(of: target, path: path)
                key = "\(directory.device):\(directory.inode)/\((target as NSString).lastPathComponent)"
            } else {
                throw HaloError("cannot write: \(reason(errno))", file: path)
            }
            // Two outputs into one regular file would leave only the second; a device may take several.
            if let other = seen[key], !output.writeThrough {
                throw HaloError("is the same file as the output '\(other)'; give each output its own file", file: path)
            }
            seen[key] = path
            result.append(output)
        }
        self.outputs = result
    }

    /// The paths of the outputs, as given.
    public var paths: [String] { outputs.map(\.path) }

    /// Writes every output and `standardOutput`, all or none (see the type's documentation).
    /// - Parameter contents: the bytes of every output, keyed by the path as given to ``init(_:inputs:)``.
    /// - Throws: `file: error: cannot write: <reason>` for the first output that fails (nothing is
    ///   then left behind), `halo: error: cannot write standard output: <reason>`.
    public func commit(_ contents: [String: Data], standardOutput: Data? = nil) throws {
        var temporaries: [(output: Output, temporary: String)] = []
        func discard() { for t in temporaries { unlink(t.temporary) } }
        do {
            for output in outputs where !output.writeThrough {
                guard let data = contents[output.path] else { throw HaloError("nothing to write (internal error)", file: output.path) }
                temporaries.append((output, try OutputFiles.writeTemporary(data, beside: output)))
            }
            for output in outputs where output.writeThrough {
                guard let data = contents[output.path] else { throw HaloError("nothing to write (internal error)", file: output.path) }
                try OutputFiles.writeThrough(data, to: output)
            }
            if let standardOutput { try StandardStreams.writeOutput(standardOutput) }
        } catch {
            discard()
            throw error
        }
        // Every byte is written: rename into place, keeping a hard link to each replaced file until the
        // last rename has succeeded, so that a failure can put the old files back.
        var done: [(target: String, existed: Bool, backup: String?)] = []
        for (k, t) in temporaries.enumerated() {
            var backup: String?
            let existed = t.output.mode != nil
            if existed {
                let name = OutputFiles.temporaryName(beside: t.output.target, tag: "old")
                if link(t.output.target, name) == 0 { backup = name }
            }
            if rename(t.temporary, t.output.target) != 0 {
                let code = errno
                if let backup { unlink(backup) }
                for d in done.reversed() {
                    // A new file goes; a replaced one comes back (unless it could not be linked aside).
                    if let b = d.backup { rename(b, d.target) } else if !d.existed { unlink(d.target) }
                }
                for rest in temporaries[k...] { unlink(rest.temporary) }
                throw HaloError("cannot write: \(reason(code))", file: t.output.path)
            }
            done.append((t.output.target, existed, backup))
        }
        for d in done { if let b = d.backup { unlink(b) } }
    }

    /// Checks and writes `data` to `path` alone (see ``init(_:inputs:)`` and ``commit(_:standardOutput:)``).
    public static func write(_ data: Data, to path: String, inputs: [String] = []) throws {
        try OutputFiles([path], inputs: inputs).commit([path: data])
    }

    // MARK: Implementation

    /// `path` with every symbolic link followed (relative links resolved against their directory).
    static func followLinks(_ path: String) throws -> String {
        var current = path
        for _ in 0 ..< 40 {
            var s = stat()
            guard lstat(current, &s) == 0, s.st_mode & S_IFMT == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &buffer, buffer.count - 1)
            guard n >= 0 else { throw HaloError("cannot write: \(reason(errno))", file: path) }
            let link = String(decoding: buffer[0 ..< n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if link.hasPrefix("/") {
                current = link
            } else {
                let directory = (current as NSString).deletingLastPathComponent
                current = directory.isEmpty ? link : (directory as NSString).appendingPathComponent(link)
            }
        }
        throw HaloError("cannot write: too many levels of symbolic links", file: path)
    }

    /// The directory `target` goes in must exist and be writable; its identity.
    @discardableResult
    static func checkDirectory(of target: String, path: String) throws -> FileIdentity {
        let parent = (target as NSString).deletingLastPathComponent
        let directory = parent.isEmpty ? "." : parent
        var s = stat()
        guard stat(directory, &s) == 0, s.st_mode & S_IFMT == S_IFDIR else {
            throw HaloError("cannot write: no such directory '\(directory)'", file: path)
        }
        guard access(directory, W_OK) == 0 else {
            throw HaloError("cannot write: permission denied in the directory '\(directory)'", file: path)
        }
        return FileIdentity(s)
    }

    /// A fresh hidden name in the directory of `target`: `.name.halo-<tag>-<pid>-<random>`.
    static func temporaryName(beside target: String, tag: String) -> String {
        let directory = (target as NSString).deletingLastPathComponent
        let name = ".\((target as NSString).lastPathComponent).halo-\(tag)-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        return directory.isEmpty ? name : (directory as NSString).appendingPathComponent(name)
    }

    /// Writes `data` to a new temporary file beside the output's target, synced; returns its name.
    static func writeTemporary(_ data: Data, beside output: Output) throws -> String {
        var name = ""
        var fd: Int32 = -1
        for _ in 0 ..< 16 {
            name = temporaryName(beside: output.target, tag: "new")
            fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw HaloError("cannot write: \(reason(errno))", file: output.path) }
        var failure: Int32?
        if let mode = output.mode, fchmod(fd, mode) != 0 { failure = errno }
        if failure == nil { failure = StandardStreams.writeAll(fd, data) }
        if failure == nil, fsync(fd) != 0, errno != EINVAL { failure = errno }
        if close(fd) != 0, failure == nil { failure = errno }
        if let failure {
            unlink(name)
            throw HaloError("cannot write: \(reason(failure))", file: output.path)
        }
        return name
    }

    /// Writes `data` into a device, FIFO or socket in place. Opening does not wait: a FIFO that no
    /// process reads is an error rather than a hang.
    static func writeThrough(_ data: Data, to output: Output) throws {
        let fd = open(output.target, O_WRONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            throw HaloError(errno == ENXIO ? "cannot write: no process is reading this FIFO" : "cannot write: \(reason(errno))", file: output.path)
        }
        // Blocking writes from here on: a slow reader is waited for, not an error.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        var failure = StandardStreams.writeAll(fd, data)
        if close(fd) != 0, failure == nil, errno != EINTR { failure = errno }
        if let failure { throw HaloError("cannot write: \(reason(failure))", file: output.path) }
    }
}
