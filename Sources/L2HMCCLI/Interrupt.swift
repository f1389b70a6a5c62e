// Interrupt.swift — SIGINT/SIGTERM become a flag that the run loop checks between trajectories.
import Foundation
import Synchronization

enum Interrupt {
    static let flag = Atomic<Bool>(false)

    static func install() {
        flag.store(false, ordering: .relaxed)
        // A parent may have spawned us with these signals blocked; we want them delivered.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT) { _ in Interrupt.flag.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in Interrupt.flag.store(true, ordering: .relaxed) }
    }

    static func uninstall() {
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }

    static var requested: Bool { flag.load(ordering: .relaxed) }
}
