import Foundation
import LeptonIO
import LeptonTestSupport
import XCTest

/// Two `lepton-credit serve` replicas behind nginx with deploy/nginx/lepton.conf, on loopback:
/// killing a replica during a load run, and reloading the model under load, fail no client request.
final class LoadBalancerTests: XCTestCase {
    let credit = BuiltExecutable("lepton-credit")

    func testKillingAReplicaAndReloadingUnderLoadFailNoRequest() throws {
        let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
        try XCTSkipIf(nginx == nil, "nginx is not installed (`make test` installs Debian's nginx); the load-balancer test is skipped")
        let dir = try TemporaryDirectory("credit-lb")
        defer { dir.remove() }
        let model = dir.file("card.lepton")
        XCTAssertEqual(try credit.run(["train", "--data", germanCreditPath, "--target", "creditability", "--bad", "bad", "--out", model, "--quiet"]).status, 0)
        let a = try ServingProcess(credit, ["--model", model, "--no-access-log", "--threads", "1"])
        let b = try ServingProcess(credit, ["--model", model, "--no-access-log", "--threads", "1"])

        // The shipped config with the replicas' and the balancer's ports, in a minimal nginx.conf.
        let port = try freeLoopbackPort()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let site = try String(contentsOf: root.appendingPathComponent("deploy/nginx/lepton.conf"), encoding: .utf8)
            .replacingOccurrences(of: "127.0.0.1:8081", with: "127.0.0.1:\(a.port)")
            .replacingOccurrences(of: "127.0.0.1:8082", with: "127.0.0.1:\(b.port)")
            .replacingOccurrences(of: "listen 127.0.0.1:8080", with: "listen 127.0.0.1:\(port)")
        XCTAssertNotEqual(site, try String(contentsOf: root.appendingPathComponent("deploy/nginx/lepton.conf"), encoding: .utf8))
        _ = try dir.write("site.conf", site)
        let conf = try dir.write("nginx.conf", """
            daemon off;
            worker_processes 1;
            pid \(dir.file("nginx.pid"));
            error_log \(dir.file("error.log")) warn;
            events { worker_connections 1024; }
            http {
                access_log off;
                client_body_temp_path \(dir.path)/body;
                proxy_temp_path \(dir.path)/proxy;
                include \(dir.file("site.conf"));
            }
            """)
        let balancer = Process()
        balancer.executableURL = URL(fileURLWithPath: nginx!)
        balancer.arguments = ["-c", conf, "-p", dir.path]
        balancer.standardError = FileHandle.nullDevice
        try balancer.run()
        defer { balancer.terminate(); balancer.waitUntilExit() }
        var up = false
        for _ in 0..<100 where !up {
            up = (try? HTTPTestClient.send(port: port, path: "/healthz", timeout: 2).status) == 200
            if !up { Thread.sleep(forTimeInterval: 0.05) }
        }
        XCTAssertTrue(up, (try? String(contentsOfFile: dir.file("error.log"), encoding: .utf8)) ?? "")

        let body = #"{"status_of_existing_checking_account": "... < 0 DM", "credit_history": "critical account/ other credits existing (not at this bank)", "duration_in_month": 6, "savings_account_and_bonds": "unknown/ no savings account", "purpose": "radio/television", "credit_amount": 1169, "property": "real estate", "age_in_years": 67, "present_employment_since": "... >= 7 years", "housing": "own", "other_installment_plans": "none", "installment_rate_in_percentage_of_disposable_income": 4}"#
        XCTAssertEqual(try HTTPTestClient.post(port: port, path: "/v1/score", json: body).status, 200)

        /// Four clients sending requests until `stop`; the statuses other than 200.
        func load(during action: () throws -> Void) rethrows -> (sent: Int, failed: [Int]) {
            let stop = Protected(false)
            let done = DispatchGroup()
            let results = Protected<[(Int, [Int])]>([])
            for _ in 0..<4 {
                done.enter()
                Thread.detachNewThread {
                    var sent = 0, failed: [Int] = []
                    while !stop.withLock({ $0 }) {
                        let status = (try? HTTPTestClient.post(port: port, path: "/v1/score", json: body, timeout: 10).status) ?? -1
                        sent += 1
                        if status != 200 { failed.append(status) }
                    }
                    results.withLock { $0.append((sent, failed)) }
                    done.leave()
                }
            }
            Thread.sleep(forTimeInterval: 0.5)
            try action()
            Thread.sleep(forTimeInterval: 1.0)
            stop.withLock { $0 = true }
            done.wait()
            let all = results.withLock { $0 }
            return (all.reduce(0) { $0 + $1.0 }, all.flatMap(\.1))
        }

        // Reloads under load: every request answered.
        let reloads = load {
            for _ in 0..<5 {
                a.send(SIGHUP)
                b.send(SIGHUP)
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        XCTAssertGreaterThan(reloads.sent, 20)
        XCTAssertEqual(reloads.failed, [], "failed requests during reloads")
        // A replica killed (SIGKILL, no goodbye) under load: nginx retries on the other.
        let kill = load { a.send(SIGKILL) }
        XCTAssertGreaterThan(kill.sent, 20)
        XCTAssertEqual(kill.failed, [], "failed requests after a replica was killed")
        b.send(SIGTERM)
        XCTAssertEqual(b.waitForExit().status, 0)
    }
}
