terraform {
  required_version = ">= 1.10, < 2.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 6.0"
    }
  }
}

# Bootstrap keeps its own state locally (it creates the remote state bucket). Keep the file safe
# or migrate it into the state bucket afterwards (see infra/README.md).

provider "aws" {
  region = var.region

  default_tags {
    tags = { project = var.name_prefix, managed-by = "terraform-bootstrap" }
  }
}
