# tflint configuration (scripts/tflint). Only the bundled terraform ruleset:
# plugins (such as the google ruleset) are downloaded from GitHub, which these
# machines and the CI sandbox cannot do. `recommended` plus the stricter
# naming, documentation and typing rules below.
config {
  call_module_type = "none"
  force            = false
}

plugin "terraform" {
  enabled = true
  preset  = "recommended"
}

rule "terraform_naming_convention" {
  enabled = true
}

rule "terraform_documented_variables" {
  enabled = true
}

rule "terraform_documented_outputs" {
  enabled = true
}

rule "terraform_typed_variables" {
  enabled = true
}

rule "terraform_standard_module_structure" {
  enabled = false # one root module split by concern (storage.tf, iam.tf, ...), not main/variables/outputs only
}
