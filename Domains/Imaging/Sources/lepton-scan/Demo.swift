import ArgumentParser
import Foundation
import LeptonCLI
import LeptonCore
import LeptonIO
import LeptonReport
import ScanDiagnosis

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train on synthetic phantoms, evaluate with confidence intervals on new ones (HTML report), and classify a folder with saliency maps.",
        discussion: LeptonExitCode.helpText)

    @OptionGroup var common: CommonOptions
    @Option(help: "Where to write the phantoms, model and classifications.") var outDir = NSTemporaryDirectory() + "lepton-scan-demo"

    func run() throws {
        let console = Console(options: common)
        let train = outDir + "/train", test = outDir + "/test"
        try? FileManager.default.removeItem(atPath: outDir)
        try Phantoms.write(count: 400, seed: common.seed, to: train)
        try Phantoms.write(count: 200, seed: common.seed &+ 1, to: test)
        let folder = try ImageFolder.load(train)
        let (t, v) = ScanTraining.split(folder, seed: common.seed)
        var recipe = CNNRecipe()
        (recipe.epochs, recipe.batchSize, recipe.seed, recipe.threads) = (15, 32, common.seed, common.threads.resolved)
        let result = try ScanTraining.run(train: t, val: v, recipe: recipe, positive: "finding", rule: .youden, seed: common.seed)
        let modelPath = outDir + "/phantoms.lepton"
        try result.model.write(to: modelPath, metrics: ["val_auc": result.validation.value("auc")],
                               provenance: .current(tool: "lepton-scan", seed: common.seed, dataFile: nil))
        let testSet = try ImageFolder.load(test, classNames: folder.classNames)
        let labels = testSet.binaryLabels(positive: result.model.spec.positiveClass)
        let scores = result.model.probabilities(testSet.images)
        let evaluation = ScanEvaluation(labels: labels, scores: scores, threshold: result.model.spec.threshold, seed: common.seed)
        let reportPath = outDir + "/evaluation.html"
        try ReportFiles.writeHTML(ScanReport.evaluation(evaluation, model: result.model, images: testSet.images, names: testSet.paths, labels: labels,
                                                        scores: scores, provenance: Provenance(.current(tool: "lepton-scan", seed: common.seed, dataFile: test),
                                                                                               modelFile: modelPath)),
                                  to: reportPath)
        let classified = try ScanClassification.run(model: result.model, files: try ScanSource.files(test), output: outDir + "/classified.csv",
                                                    rejects: outDir + "/classified.rejects.csv", threads: common.threads.resolved,
                                                    saliency: outDir + "/saliency")
        let lines = ["== Phantoms: \(t.count) to train, \(v.count) to choose the operating point, \(testSet.count) new ones to evaluate",
                     "cnn-small: best epoch \(result.bestEpoch) of \(result.epochs)",
                     "== Evaluation on the new phantoms (95% bootstrap intervals)"] + evaluation.lines + ["report: \(reportPath)"]
            + [String(format: "== Classified %d scans in %.2f s: %d written, %d flagged, %d rejected → %@", classified.read, classified.seconds,
                      classified.written, classified.flagged, classified.rejected, outDir + "/classified.csv"),
               "Grad-CAM saliency maps of the flagged scans in \(outDir)/saliency"]
        console.result(human: lines, summary: [("model", .string(modelPath))] + evaluation.jsonFields)

        // The navigator (shown without --json): int8 and a distilled student, re-checked on the new
        // phantoms, then tune over widths, every compression and thread counts.
        if !common.json {
            print("", "== The speed/cost navigator: int8 quantization, re-checked on the new phantoms (lepton-scan compress)")
            let int8 = try Compress.parse(["--model", modelPath, "--method", "int8", "--calibration", train, "--val", test,
                                           "--out", outDir + "/phantoms-int8.lepton", "--quiet"])
            try int8.run()
            print("", "== A cnn-small student of half the width distilled from the model (lepton-scan compress --method distill)")
            let distill = try Compress.parse(["--model", modelPath, "--method", "distill", "--data", train, "--val", test,
                                              "--out", outDir + "/phantoms-student.lepton", "--quiet"])
            try distill.run()
            print("", "== Tune: widths, int8, pruning, clustering and distillation, on 1 or 2 threads (lepton-scan tune)")
            let tune = try Tune.parse(["--data", train, "--val", test, "--epochs", "15", "--out", outDir + "/tune", "--budget-minutes", "3",
                                       "--quiet", "--seed", String(common.seed)])
            try tune.run()
        }
    }
}
